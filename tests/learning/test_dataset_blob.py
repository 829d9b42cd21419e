"""The labelled data set blob (public validation set, Arena evaluation set): round trip and
every check a scorer relies on."""

from __future__ import annotations

import numpy as np
import pytest
from safetensors.numpy import save

from fedledger.core.errors import ValidationError
from fedledger.learning.data import Dataset
from fedledger.learning.dataset_blob import decode_dataset, encode_dataset
from fedledger.learning.spec import DatasetSpec

SCHEMA = DatasetSpec(name="digits", num_features=4, num_classes=3, input_shape=(4,))


def _data(n: int = 5) -> Dataset:
    rng = np.random.default_rng(0)
    return Dataset(rng.standard_normal((n, 4)).astype(np.float32), rng.integers(0, 3, n), 3, (4,))


def test_round_trip_is_exact_and_deterministic() -> None:
    data = _data()
    blob = encode_dataset(data)
    assert blob == encode_dataset(_data())
    back = decode_dataset(blob, SCHEMA, 5)
    assert np.array_equal(back.x, data.x) and np.array_equal(back.y, data.y)


@pytest.mark.parametrize(
    ("tensors", "match"),
    [
        ({"x": np.zeros((5, 4), np.float32)}, "exactly the tensors x and y"),
        ({"x": np.zeros((5, 4), np.float32), "y": np.zeros(5, np.int64), "z": np.zeros(1, np.float32)}, "exactly"),
        ({"x": np.zeros((5, 4), np.float64), "y": np.zeros(5, np.int64)}, "dtypes"),
        ({"x": np.zeros((5, 3), np.float32), "y": np.zeros(5, np.int64)}, r"needs \(samples, 4\)"),
        ({"x": np.zeros((5, 4), np.float32), "y": np.zeros(4, np.int64)}, "labels of shape"),
        ({"x": np.zeros((6, 4), np.float32), "y": np.zeros(6, np.int64)}, "the spec says 5"),
        ({"x": np.full((5, 4), np.nan, np.float32), "y": np.zeros(5, np.int64)}, "NaN"),
        ({"x": np.zeros((5, 4), np.float32), "y": np.full(5, 3, np.int64)}, r"labels must lie in \[0, 3\)"),
    ],
)
def test_a_malformed_set_is_a_clear_error(tensors: dict[str, np.ndarray], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        decode_dataset(save(tensors), SCHEMA, 5)


def test_garbage_bytes_are_a_clear_error() -> None:
    with pytest.raises(ValidationError, match="not a valid safetensors blob"):
        decode_dataset(b"\x00" * 3 + b"not safetensors", SCHEMA, 5)


def test_the_sample_count_is_optional_and_errors_name_the_set() -> None:
    back = decode_dataset(encode_dataset(_data(7)), SCHEMA)
    assert len(back.y) == 7
    with pytest.raises(ValidationError, match="^evaluation set dtypes"):
        decode_dataset(save({"x": np.zeros((5, 4), np.float16), "y": np.zeros(5, np.int64)}), SCHEMA, what="evaluation set")
