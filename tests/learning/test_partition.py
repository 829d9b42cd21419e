"""Partitioner properties (hypothesis) and the per-participant train/test split."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fedledger.core.errors import ValidationError
from fedledger.learning.partition import (
    dirichlet_label_skew,
    iid,
    label_entropy,
    quantity_skew,
    train_test_split,
)


def _assert_exact_cover(parts: list[np.ndarray], n: int, min_samples: int = 1) -> None:
    joined = np.concatenate(parts)
    assert len(joined) == n
    assert np.array_equal(np.sort(joined), np.arange(n))
    assert all(len(p) >= min_samples for p in parts)
    assert all(np.all(np.diff(p) > 0) for p in parts if len(p) > 1)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 400),
    clients=st.integers(1, 20),
    classes=st.integers(1, 10),
    alpha=st.floats(0.01, 100.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_every_sample_assigned_exactly_once(n: int, clients: int, classes: int, alpha: float, seed: int) -> None:
    if n < clients:
        with pytest.raises(ValidationError):
            iid(n, clients, seed)
        return
    labels = np.random.default_rng(seed).integers(0, classes, n)
    _assert_exact_cover(iid(n, clients, seed), n)
    _assert_exact_cover(dirichlet_label_skew(labels, clients, alpha, seed), n)
    _assert_exact_cover(quantity_skew(n, clients, alpha, seed), n)


def test_seeded() -> None:
    labels = np.arange(500) % 10
    a = dirichlet_label_skew(labels, 8, 0.5, seed=1)
    b = dirichlet_label_skew(labels, 8, 0.5, seed=1)
    c = dirichlet_label_skew(labels, 8, 0.5, seed=2)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_smaller_alpha_more_label_skew(seed: int) -> None:
    labels = np.random.default_rng(seed).integers(0, 10, 2000)
    ent = {
        alpha: np.mean([label_entropy(labels, dirichlet_label_skew(labels, 10, alpha, seed + k), 10) for k in range(3)])
        for alpha in (0.05, 0.5, 100.0)
    }
    iid_ent = label_entropy(labels, iid(len(labels), 10, seed), 10)
    assert ent[0.05] < ent[0.5] < ent[100.0] <= iid_ent + 0.05
    assert iid_ent > 0.95 * np.log(10)


def test_quantity_skew_sizes() -> None:
    skewed = [len(p) for p in quantity_skew(5000, 10, 0.2, seed=0)]
    even = [len(p) for p in quantity_skew(5000, 10, 1000.0, seed=0)]
    assert np.std(skewed) > 5 * np.std(even)


def test_bad_arguments() -> None:
    with pytest.raises(ValidationError, match="alpha"):
        dirichlet_label_skew(np.zeros(10), 2, 0.0, seed=0)
    with pytest.raises(ValidationError, match="num_clients"):
        iid(10, 0, seed=0)
    with pytest.raises(ValidationError, match="test_fraction"):
        train_test_split(np.arange(10), 1.0, seed=0)
    with pytest.raises(ValidationError, match="at least 2"):
        train_test_split(np.arange(1), 0.5, seed=0)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 300), frac=st.floats(0.01, 0.99), seed=st.integers(0, 2**32 - 1))
def test_train_test_split_partitions_the_client(n: int, frac: float, seed: int) -> None:
    idx = np.arange(1000, 1000 + n) * 3
    train, test = train_test_split(idx, frac, seed)
    assert len(train) >= 1 and len(test) >= 1
    assert np.array_equal(np.sort(np.concatenate([train, test])), idx)
    assert np.array_equal(train_test_split(idx, frac, seed)[1], test)
