"""Datasets: bundled sets, participant files (CSV / NumPy) checked against the spec's
schema, and a seeded synthetic generator.

A `Dataset` is plain numpy: float32 feature rows of `num_features` values and int64
labels in `[0, num_classes)`. Nothing here touches the network: scikit-learn's bundled
sets ship inside the package. scikit-learn bundles no image set larger than digits, so
`digits28` upscales the 8×8 digits to 28×28 (bilinear, deterministic) to give the CNN
workload MNIST-sized inputs, and `digits28aug` generates any number of 28×28 samples from
them with seeded random affine jitter and noise (a learnable set as large as a benchmark
needs; `synthetic` Gaussians in 784 dimensions barely learn with a CNN).
"""

from __future__ import annotations

import csv
import math
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fedledger.core.errors import ValidationError
from fedledger.learning.spec import DatasetSpec


@dataclass(frozen=True)
class Dataset:
    """Features `x` (float32, shape (n, num_features)) and labels `y` (int64, shape (n,))."""

    x: np.ndarray
    y: np.ndarray
    num_classes: int
    input_shape: tuple[int, ...]

    def __post_init__(self) -> None:
        if self.x.ndim != 2:
            raise ValidationError(f"dataset features must be 2-D (samples, features), got shape {self.x.shape}")
        if self.y.ndim != 1 or self.y.shape[0] != self.x.shape[0]:
            raise ValidationError(
                f"dataset has {self.x.shape[0]} feature rows but labels of shape {self.y.shape}"
            )
        if math.prod(self.input_shape) != self.x.shape[1]:
            raise ValidationError(
                f"input_shape {list(self.input_shape)} does not match {self.x.shape[1]} features"
            )
        if self.x.dtype != np.float32:
            object.__setattr__(self, "x", self.x.astype(np.float32))
        if self.y.dtype != np.int64:
            object.__setattr__(self, "y", self.y.astype(np.int64))

    def __len__(self) -> int:
        return int(self.y.shape[0])

    @property
    def num_features(self) -> int:
        """Length of one flat feature row."""
        return int(self.x.shape[1])

    def subset(self, indices: np.ndarray) -> Dataset:
        """The samples at `indices` (a copy, in the given order)."""
        idx = np.asarray(indices, dtype=np.int64)
        return Dataset(self.x[idx], self.y[idx], self.num_classes, self.input_shape)

    def check_schema(self, schema: DatasetSpec) -> None:
        """Raise `ValidationError` if this data does not follow the spec's schema."""
        _check_against_schema(self.x, self.y, schema, source="dataset")


# ---------------------------------------------------------------------- bundled sets
def load_digits() -> Dataset:
    """scikit-learn's 1,797 handwritten digits, 8×8, pixel values scaled to [0, 1]."""
    from sklearn.datasets import load_digits as _sk_digits

    bunch = _sk_digits()
    x = (bunch.data / 16.0).astype(np.float32)
    return Dataset(x, bunch.target.astype(np.int64), 10, (1, 8, 8))


def load_digits28() -> Dataset:
    """The digits upscaled to 1×28×28 by bilinear interpolation (an MNIST-sized workload)."""
    import torch
    import torch.nn.functional as F

    small = load_digits()
    images = torch.from_numpy(small.x.reshape(-1, 1, 8, 8))
    big = F.interpolate(images, size=(28, 28), mode="bilinear", align_corners=False)
    x = big.reshape(len(small), 28 * 28).numpy().astype(np.float32)
    return Dataset(x, small.y, 10, (1, 28, 28))


#: Jitter of `digits28aug`: rotation (degrees), scale, shift (pixels of the 28×28 canvas)
#: and per-pixel Gaussian noise. Enough that 1,797 sources give many distinct samples,
#: small enough that every sample stays a legible digit.
AUG_ROTATION_DEG = 15.0
AUG_SCALE = (0.85, 1.1)
AUG_SHIFT_PX = 2.0
AUG_NOISE = 0.05
AUG_BATCH = 4096


def make_digits28aug(num_samples: int, seed: int) -> Dataset:
    """`num_samples` 1×28×28 digits: sklearn's 8×8 digits, each drawn with a seeded random
    rotation, scale and shift, resampled to 28×28 (bilinear) in one step, plus small noise.

    Sources are taken in seeded permutations of all 1,797 digits (so classes stay balanced
    and every source is used before any repeats); each sample gets its own affine draw.
    Deterministic: the same (num_samples, seed) gives the same bytes (numpy's PCG64 for the
    draws, torch's CPU `grid_sample` for the resampling, which has no order-dependent sum).
    """
    import torch
    import torch.nn.functional as F

    if num_samples < 1:
        raise ValidationError(f"digits28aug needs num_samples >= 1, got {num_samples}")
    small = load_digits()
    rng = np.random.default_rng([seed, 28])
    repeats = -(-num_samples // len(small))
    src = np.concatenate([rng.permutation(len(small)) for _ in range(repeats)])[:num_samples]
    theta = np.deg2rad(rng.uniform(-AUG_ROTATION_DEG, AUG_ROTATION_DEG, num_samples))
    scale = rng.uniform(*AUG_SCALE, num_samples)
    # affine_grid works in normalised coordinates: the 28-pixel canvas spans [-1, 1].
    shift = rng.uniform(-AUG_SHIFT_PX, AUG_SHIFT_PX, (num_samples, 2)) * (2.0 / 28.0)
    cos, sin = np.cos(theta) / scale, np.sin(theta) / scale
    # The matrix maps output to input coordinates: inverse rotation / scale, then shift.
    affine = np.stack(
        [np.stack([cos, -sin, shift[:, 0]], axis=1), np.stack([sin, cos, shift[:, 1]], axis=1)], axis=1
    ).astype(np.float32)
    x = np.empty((num_samples, 28 * 28), dtype=np.float32)
    images = small.x.reshape(-1, 1, 8, 8)
    for start in range(0, num_samples, AUG_BATCH):
        stop = min(start + AUG_BATCH, num_samples)
        batch = torch.from_numpy(np.ascontiguousarray(images[src[start:stop]]))
        grid = F.affine_grid(torch.from_numpy(affine[start:stop]), [stop - start, 1, 28, 28], align_corners=False)
        out = F.grid_sample(batch, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        noise = rng.standard_normal((stop - start, 28 * 28), dtype=np.float32) * np.float32(AUG_NOISE)
        x[start:stop] = np.clip(out.reshape(stop - start, -1).numpy() + noise, 0.0, 1.0)
    return Dataset(x, small.y[src], 10, (1, 28, 28))


def _sk_tabular(loader_name: str) -> Dataset:
    """A bundled tabular set, standardised per feature (so one learning rate fits all)."""
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, loader_name)()
    x = np.asarray(bunch.data, dtype=np.float64)
    x = (x - x.mean(axis=0)) / np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
    classes = int(bunch.target.max()) + 1
    return Dataset(x.astype(np.float32), bunch.target.astype(np.int64), classes, (x.shape[1],))


def load_breast_cancer() -> Dataset:
    """scikit-learn's Wisconsin breast cancer set: 569 samples, 30 features, 2 classes."""
    return _sk_tabular("load_breast_cancer")


def load_wine() -> Dataset:
    """scikit-learn's wine set: 178 samples, 13 features, 3 classes."""
    return _sk_tabular("load_wine")


BUNDLED: dict[str, Callable[[], Dataset]] = {
    "digits": load_digits,
    "digits28": load_digits28,
    "breast_cancer": load_breast_cancer,
    "wine": load_wine,
}

GENERATED: dict[str, Callable[[int, int], Dataset]] = {
    "digits28aug": make_digits28aug,
}
"""Bundled sets generated at any size: name -> f(num_samples, seed). The spec's
`dataset.num_samples` sets the size (default `GENERATED_DEFAULT_SAMPLES`)."""

GENERATED_DEFAULT_SAMPLES = 20_000


# ---------------------------------------------------------------------- synthetic
def make_synthetic(
    num_samples: int, num_features: int, num_classes: int, seed: int, separation: float = 3.0
) -> Dataset:
    """Class-conditional Gaussians: learnable, seeded, any size (for scale tests).

    Each class has a random mean on a sphere of radius `separation`; samples are that
    mean plus unit Gaussian noise. Labels are balanced up to one sample.
    """
    if num_samples < 1 or num_features < 1 or num_classes < 2:
        raise ValidationError(
            "synthetic data needs num_samples >= 1, num_features >= 1 and num_classes >= 2, got "
            f"{num_samples}, {num_features}, {num_classes}"
        )
    rng = np.random.default_rng(seed)
    means = rng.standard_normal((num_classes, num_features))
    means *= separation / np.linalg.norm(means, axis=1, keepdims=True)
    y = rng.permutation(np.arange(num_samples) % num_classes).astype(np.int64)
    x = means[y] + rng.standard_normal((num_samples, num_features))
    return Dataset(x.astype(np.float32), y, num_classes, (num_features,))


# ---------------------------------------------------------------------- files
def _check_against_schema(x: np.ndarray, y: np.ndarray, schema: DatasetSpec, source: str) -> None:
    """Shared schema checks for every participant-supplied source."""
    if x.ndim != 2 or x.shape[1] != schema.num_features:
        got = x.shape[1] if x.ndim == 2 else f"shape {x.shape}"
        raise ValidationError(
            f"{source}: expected {schema.num_features} features per sample (dataset.num_features), got {got}"
        )
    if len(y) == 0:
        raise ValidationError(f"{source}: contains no samples")
    if not np.all(np.isfinite(x)):
        bad = int(np.argwhere(~np.isfinite(x))[0][0])
        raise ValidationError(f"{source}: non-finite feature value in sample {bad}")
    if y.min() < 0 or y.max() >= schema.num_classes:
        bad = int(np.argmax((y < 0) | (y >= schema.num_classes)))
        raise ValidationError(
            f"{source}: label {int(y[bad])} of sample {bad} is outside [0, {schema.num_classes}) "
            "(dataset.num_classes)"
        )


def load_csv(path: str | Path, schema: DatasetSpec) -> Dataset:
    """Load a CSV with a header row: the `schema.label_column` column plus feature columns.

    Feature columns are every other column, in file order. Every value must be numeric and
    every label an integer class id in `[0, num_classes)`.
    """
    p = Path(path)
    if not p.is_file():
        raise ValidationError(f"{p}: CSV file not found")
    with p.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            raise ValidationError(f"{p}: empty CSV file (a header row is required)") from None
        header = [h.strip() for h in header]
        if schema.label_column not in header:
            raise ValidationError(
                f"{p}: label column {schema.label_column!r} (dataset.label_column) not in header {header}"
            )
        label_pos = header.index(schema.label_column)
        feature_cols = len(header) - 1
        if feature_cols != schema.num_features:
            raise ValidationError(
                f"{p}: {feature_cols} feature columns but the spec says "
                f"{schema.num_features} (dataset.num_features)"
            )
        rows_x: list[list[float]] = []
        rows_y: list[int] = []
        for line_no, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(header):
                raise ValidationError(f"{p}:{line_no}: {len(row)} values, header has {len(header)}")
            try:
                values = [float(v) for v in row]
            except ValueError:
                col = next(i for i, v in enumerate(row) if not _is_float(v))
                raise ValidationError(
                    f"{p}:{line_no}: column {header[col]!r} value {row[col]!r} is not a number"
                ) from None
            label = values.pop(label_pos)
            if label != int(label):
                raise ValidationError(f"{p}:{line_no}: label {row[label_pos]!r} is not an integer class id")
            rows_x.append(values)
            rows_y.append(int(label))
    x = np.asarray(rows_x, dtype=np.float64).reshape(len(rows_x), feature_cols)
    y = np.asarray(rows_y, dtype=np.int64)
    _check_against_schema(x, y, schema, source=str(p))
    return Dataset(x.astype(np.float32), y, schema.num_classes, schema.input_shape)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def load_npz(path: str | Path, schema: DatasetSpec) -> Dataset:
    """Load a `.npz` holding arrays `x` (samples × features, or samples × input_shape) and `y`.

    Opened with `allow_pickle=False`: never change that, a data file must not run code.
    """
    p = Path(path)
    if not p.is_file():
        raise ValidationError(f"{p}: NumPy file not found")
    if not zipfile.is_zipfile(p):
        raise ValidationError(f"{p}: not a valid .npz file (not a zip archive of .npy arrays)")
    try:
        with np.load(p, allow_pickle=False) as archive:
            missing = [k for k in ("x", "y") if k not in archive.files]
            if missing:
                raise ValidationError(f"{p}: missing array(s) {missing}; found {archive.files}")
            x = archive["x"]
            y = archive["y"]
    except ValidationError:
        raise
    except ValueError as exc:  # object arrays need pickle: refused
        raise ValidationError(f"{p}: holds pickled (object) arrays, which are refused ({exc})") from None
    except Exception as exc:  # noqa: BLE001 - zipfile/OSError/format errors all mean the same
        raise ValidationError(f"{p}: not a valid .npz file ({type(exc).__name__}: {exc})") from None
    if not np.issubdtype(x.dtype, np.number) or x.dtype == np.complex128:
        raise ValidationError(f"{p}: x must be a real numeric array, got dtype {x.dtype}")
    if not np.issubdtype(y.dtype, np.integer):
        raise ValidationError(f"{p}: y must hold integer class ids, got dtype {y.dtype}")
    if y.ndim != 1:
        raise ValidationError(f"{p}: y must be 1-D, got shape {y.shape}")
    if x.ndim < 2:
        raise ValidationError(f"{p}: x must be (samples, features...) with >= 2 dims, got shape {x.shape}")
    if x.shape[0] != y.shape[0]:
        raise ValidationError(f"{p}: x has {x.shape[0]} samples but y has {y.shape[0]}")
    x = x.reshape(x.shape[0], -1)
    _check_against_schema(x, y, schema, source=str(p))
    return Dataset(x.astype(np.float32), y.astype(np.int64), schema.num_classes, schema.input_shape)


def load_dataset(schema: DatasetSpec, path: str | Path | None = None, seed: int = 0) -> Dataset:
    """Load the data a spec describes: a bundled set, synthetic data, or a participant file.

    Bundled and synthetic data are checked against the schema too, so a spec that
    misdescribes them fails here with the field named rather than deep in training.
    """
    if path is not None and schema.name not in ("csv", "npz"):
        # A participant's own file in the format of a named set (e.g. its share of digits):
        # the schema, not the name, is what the file must satisfy.
        suffix = Path(path).suffix.lower()
        if suffix not in (".csv", ".npz"):
            raise ValidationError(f"{path}: local data must be a .csv or .npz file, got {suffix or 'no suffix'}")
        return load_csv(path, schema) if suffix == ".csv" else load_npz(path, schema)
    if schema.name in BUNDLED:
        data = BUNDLED[schema.name]()
    elif schema.name in GENERATED:
        data = GENERATED[schema.name](schema.num_samples or GENERATED_DEFAULT_SAMPLES, seed)
    elif schema.name == "synthetic":
        data = make_synthetic(
            schema.num_samples or 1000, schema.num_features, schema.num_classes, seed=seed
        )
    elif schema.name in ("csv", "npz"):
        if path is None:
            raise ValidationError(f"dataset.name is {schema.name!r}: a local data file path is required")
        return load_csv(path, schema) if schema.name == "csv" else load_npz(path, schema)
    else:
        known = sorted([*BUNDLED, *GENERATED, "synthetic", "csv", "npz"])
        raise ValidationError(f"dataset.name: unknown dataset {schema.name!r}; known: {', '.join(known)}")
    if data.num_classes != schema.num_classes:
        raise ValidationError(
            f"dataset.num_classes: {schema.name} has {data.num_classes} classes, spec says {schema.num_classes}"
        )
    _check_against_schema(data.x, data.y, schema, source=schema.name)
    return Dataset(data.x, data.y, schema.num_classes, schema.input_shape)
