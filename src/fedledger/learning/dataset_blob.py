"""A labelled data set as a blob: an Alliance task's public validation set (published by the
creator, fetched by voters) and an Arena task's evaluation set (handed to drawn validators).

One format for both, safetensors, never pickle or `np.load(allow_pickle=True)`: the blob comes
from someone else, so parsing it must not be able to run code. Decoding checks everything a
scorer relies on (exactly the tensors `x` and `y`, dtypes, shapes against the spec's schema,
finite features, labels in range, the sample count the spec names if it names one) and says
which check failed, naming the set (`what`) so the error reads in the caller's terms.
"""

from __future__ import annotations

import numpy as np
from safetensors.numpy import load as _st_load
from safetensors.numpy import save as _st_save

from fedledger.core.errors import ValidationError
from fedledger.learning.data import Dataset
from fedledger.learning.spec import DatasetSpec

KEYS = ("x", "y")


def encode_dataset(data: Dataset) -> bytes:
    """Serialise `data` deterministically (equal data -> equal bytes -> equal hash)."""
    tensors = {
        "x": np.ascontiguousarray(data.x, dtype=np.float32),
        "y": np.ascontiguousarray(data.y, dtype=np.int64),
    }
    return bytes(_st_save(tensors))


def decode_dataset(
    blob: bytes, schema: DatasetSpec, num_samples: int | None = None, what: str = "validation set"
) -> Dataset:
    """Parse a published data set and check it against the task's schema (and, when given,
    the sample count the task committed to)."""
    try:
        tensors = _st_load(bytes(blob))
    except Exception as exc:  # noqa: BLE001 - the Rust parser raises its own error types
        raise ValidationError(f"{what} is not a valid safetensors blob: {exc}") from None
    if sorted(tensors) != sorted(KEYS):
        raise ValidationError(f"{what} must hold exactly the tensors x and y, got {sorted(tensors)}")
    x, y = tensors["x"], tensors["y"]
    if x.dtype != np.float32 or y.dtype != np.int64:
        raise ValidationError(f"{what} dtypes must be x float32 / y int64, got {x.dtype} / {y.dtype}")
    if x.ndim != 2 or x.shape[1] != schema.num_features:
        raise ValidationError(
            f"{what} features have shape {list(x.shape)}; the spec needs (samples, {schema.num_features})"
        )
    if y.shape != (x.shape[0],):
        raise ValidationError(f"{what} has {x.shape[0]} feature rows but labels of shape {list(y.shape)}")
    if num_samples is not None and x.shape[0] != num_samples:
        raise ValidationError(f"{what} holds {x.shape[0]} samples; the spec says {num_samples}")
    if not np.isfinite(x).all():
        raise ValidationError(f"{what} features contain NaN or infinite values")
    if y.size and (int(y.min()) < 0 or int(y.max()) >= schema.num_classes):
        raise ValidationError(
            f"{what} labels must lie in [0, {schema.num_classes}), got [{int(y.min())}, {int(y.max())}]"
        )
    return Dataset(x, y, schema.num_classes, tuple(schema.input_shape))
