"""A task's public validation set as a blob: what the creator publishes and voters fetch.

Safetensors, never pickle or `np.load(allow_pickle=True)`: the blob comes from storage, so
parsing it must not be able to run code. Decoding checks everything a voter relies on
(exactly the keys `x` and `y`, dtypes, shapes against the spec's schema, finite features,
labels in range, the sample count the spec names) and says which check failed.
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


def decode_dataset(blob: bytes, schema: DatasetSpec, num_samples: int) -> Dataset:
    """Parse a published validation set and check it against the task's schema."""
    try:
        tensors = _st_load(bytes(blob))
    except Exception as exc:  # noqa: BLE001 - the Rust parser raises its own error types
        raise ValidationError(f"validation set is not a valid safetensors blob: {exc}") from None
    if sorted(tensors) != sorted(KEYS):
        raise ValidationError(f"validation set must hold exactly the tensors x and y, got {sorted(tensors)}")
    x, y = tensors["x"], tensors["y"]
    if x.dtype != np.float32 or y.dtype != np.int64:
        raise ValidationError(f"validation set dtypes must be x float32 / y int64, got {x.dtype} / {y.dtype}")
    if x.ndim != 2 or x.shape[1] != schema.num_features:
        raise ValidationError(
            f"validation set features have shape {list(x.shape)}; the spec needs (samples, {schema.num_features})"
        )
    if y.shape != (x.shape[0],):
        raise ValidationError(f"validation set has {x.shape[0]} feature rows but labels of shape {list(y.shape)}")
    if x.shape[0] != num_samples:
        raise ValidationError(f"validation set holds {x.shape[0]} samples; the spec says {num_samples}")
    if not np.isfinite(x).all():
        raise ValidationError("validation set features contain NaN or infinite values")
    if y.size and (int(y.min()) < 0 or int(y.max()) >= schema.num_classes):
        raise ValidationError(
            f"validation set labels must lie in [0, {schema.num_classes}), got [{int(y.min())}, {int(y.max())}]"
        )
    return Dataset(x, y, schema.num_classes, tuple(schema.input_shape))
