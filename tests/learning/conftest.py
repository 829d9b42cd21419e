"""Shared fixtures for the learning tests: a small spec and tiny datasets."""

from __future__ import annotations

import pytest

from fedledger.learning.data import Dataset, make_synthetic
from fedledger.learning.spec import DatasetSpec, ModelSpec, OptimizerSpec, TaskSpec


@pytest.fixture
def small_spec() -> TaskSpec:
    """A tiny MLP task on 6-feature synthetic data: trains in milliseconds."""
    return TaskSpec(
        model=ModelSpec(name="mlp", kwargs={"hidden": [8]}),
        dataset=DatasetSpec(name="synthetic", num_features=6, num_classes=3, input_shape=(6,), num_samples=120),
        local_epochs=2,
        batch_size=16,
        learning_rate=0.05,
        optimizer=OptimizerSpec(name="sgd", momentum=0.9),
        seed=7,
    )


@pytest.fixture
def small_data() -> Dataset:
    return make_synthetic(120, 6, 3, seed=1)
