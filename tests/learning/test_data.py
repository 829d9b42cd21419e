"""Bundled and synthetic data, and CSV / NumPy files checked against the schema."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fedledger.core.errors import ValidationError
from fedledger.learning.data import (
    load_csv,
    load_dataset,
    load_digits,
    load_digits28,
    load_npz,
    make_digits28aug,
    make_synthetic,
)
from fedledger.learning.spec import DatasetSpec

SCHEMA = DatasetSpec(name="csv", num_features=3, num_classes=2, input_shape=(3,), label_column="y")


def test_bundled_digits() -> None:
    d = load_digits()
    assert d.x.shape == (1797, 64) and d.x.dtype == np.float32 and 0.0 <= d.x.min() and d.x.max() <= 1.0
    big = load_digits28()
    assert big.x.shape == (1797, 784) and big.input_shape == (1, 28, 28)
    assert np.array_equal(big.x, load_digits28().x)
    assert np.array_equal(big.y, d.y)


def test_digits28aug_seeded_jittered_and_sized() -> None:
    a = make_digits28aug(3000, seed=1)
    assert a.x.shape == (3000, 784) and a.input_shape == (1, 28, 28) and a.x.dtype == np.float32
    assert 0.0 <= a.x.min() and a.x.max() <= 1.0
    again = make_digits28aug(3000, seed=1)
    assert np.array_equal(a.x, again.x) and np.array_equal(a.y, again.y)
    assert not np.array_equal(a.x, make_digits28aug(3000, seed=2).x)
    # every source digit is used once before any repeats, so the classes stay balanced
    counts = np.bincount(a.y, minlength=10)
    assert counts.min() > 0.8 * counts.max()
    # samples drawn from the same source differ (jitter), yet stay close to its upscaled image
    d = load_digits()
    first, second = make_digits28aug(2 * len(d), seed=3).x.reshape(2, len(d), -1)
    assert not np.array_equal(np.sort(first, axis=1), np.sort(second, axis=1))
    spec = DatasetSpec(name="digits28aug", num_features=784, num_classes=10, input_shape=(1, 28, 28), num_samples=500)
    loaded = load_dataset(spec, seed=4)
    assert len(loaded) == 500 and np.array_equal(loaded.x, make_digits28aug(500, seed=4).x)


def test_load_dataset_checks_spec() -> None:
    ok = DatasetSpec(name="digits", num_features=64, num_classes=10, input_shape=(64,))
    assert len(load_dataset(ok)) == 1797
    with pytest.raises(ValidationError, match="dataset.num_features"):
        load_dataset(DatasetSpec(name="digits", num_features=32, num_classes=10, input_shape=(32,)))
    with pytest.raises(ValidationError, match="dataset.num_classes"):
        load_dataset(DatasetSpec(name="digits", num_features=64, num_classes=12, input_shape=(64,)))
    with pytest.raises(ValidationError, match="unknown dataset 'mnist'"):
        load_dataset(DatasetSpec(name="mnist", num_features=64, num_classes=10, input_shape=(64,)))
    with pytest.raises(ValidationError, match="path is required"):
        load_dataset(SCHEMA)


def test_synthetic_seeded_and_balanced() -> None:
    a, b = make_synthetic(100, 5, 4, seed=2), make_synthetic(100, 5, 4, seed=2)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
    assert not np.array_equal(a.x, make_synthetic(100, 5, 4, seed=3).x)
    assert np.bincount(a.y).tolist() == [25, 25, 25, 25]


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "data.csv"
    p.write_text(text)
    return p


def test_csv_ok(tmp_path: Path) -> None:
    d = load_csv(_write(tmp_path, "a,y,b,c\n1,0,2,3\n4,1,5,6\n"), SCHEMA)
    assert d.x.tolist() == [[1, 2, 3], [4, 5, 6]] and d.y.tolist() == [0, 1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty CSV"),
        ("a,b,c,d\n1,2,3,4\n", "label column 'y'"),
        ("a,y,b\n1,0,2\n", "2 feature columns but the spec says 3"),
        ("a,y,b,c\n1,0,x,3\n", r":2: column 'b' value 'x' is not a number"),
        ("a,y,b,c\n1,0,2\n", r":2: 3 values, header has 4"),
        ("a,y,b,c\n1,0.5,2,3\n", "not an integer class id"),
        ("a,y,b,c\n1,2,2,3\n", r"label 2 of sample 0 is outside \[0, 2\)"),
        ("a,y,b,c\n1,0,nan,3\n", "non-finite"),
        ("a,y,b,c\n", "no samples"),
    ],
)
def test_csv_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        load_csv(_write(tmp_path, text), SCHEMA)


def test_csv_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="not found"):
        load_csv(tmp_path / "nope.csv", SCHEMA)


def test_npz_ok_and_errors(tmp_path: Path) -> None:
    p = tmp_path / "d.npz"
    np.savez(p, x=np.ones((4, 3)), y=np.array([0, 1, 0, 1]))
    assert len(load_npz(p, SCHEMA)) == 4
    cases = [
        ({"x": np.ones((4, 3))}, r"missing array\(s\) \['y'\]"),
        ({"x": np.ones((4, 4)), "y": np.zeros(4, dtype=int)}, "expected 3 features"),
        ({"x": np.ones((4, 3)), "y": np.zeros(5, dtype=int)}, "x has 4 samples but y has 5"),
        ({"x": np.ones((4, 3)), "y": np.zeros(4)}, "integer class ids"),
        ({"x": np.ones((4, 3)), "y": np.array([0, 1, 2, 0])}, "outside"),
        ({"x": np.ones(4), "y": np.zeros(4, dtype=int)}, ">= 2 dims"),
    ]
    for arrays, message in cases:
        np.savez(p, **arrays)
        with pytest.raises(ValidationError, match=message):
            load_npz(p, SCHEMA)


def test_npz_refuses_pickle_and_garbage(tmp_path: Path) -> None:
    p = tmp_path / "d.npz"
    np.savez(p, x=np.array([object()] * 3, dtype=object), y=np.zeros(3, dtype=int))
    with pytest.raises(ValidationError, match="pickle"):
        load_npz(p, SCHEMA)
    p.write_bytes(b"garbage")
    with pytest.raises(ValidationError, match="not a valid .npz"):
        load_npz(p, SCHEMA)
