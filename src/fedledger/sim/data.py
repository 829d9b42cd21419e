"""The data side of a simulation: a held-out global test set, the task creator's public
validation set, and one private share per node."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fedledger.learning.data import Dataset, load_dataset
from fedledger.learning.partition import dirichlet_label_skew, train_test_split
from fedledger.learning.spec import TaskSpec


@dataclass(frozen=True)
class SimData:
    """`shares[i]` is participant i's private data; `global_test` is never given to any node;
    `validation` (None if not asked for) is what the task creator publishes with the spec."""

    shares: list[Dataset]
    global_test: Dataset
    validation: Dataset | None = None


def make_sim_data(
    spec: TaskSpec,
    participants: int,
    alpha: float,
    seed: int,
    global_test_fraction: float,
    validation_samples: int = 0,
) -> SimData:
    """Load the spec's dataset, hold out a global test set and `validation_samples` public
    samples (drawn at random, so roughly class-balanced), Dirichlet-partition the rest."""
    full = load_dataset(spec.dataset, seed=seed)
    pool_idx, test_idx = train_test_split(np.arange(len(full)), global_test_fraction, seed)
    validation = None
    if validation_samples:
        rng = np.random.default_rng([seed, 0x7A11D])
        order = rng.permutation(len(pool_idx))
        validation = full.subset(pool_idx[np.sort(order[:validation_samples])])
        pool_idx = pool_idx[np.sort(order[validation_samples:])]
    pool = full.subset(pool_idx)
    parts = dirichlet_label_skew(pool.y, participants, alpha, seed, min_samples=10)
    return SimData(shares=[pool.subset(p) for p in parts], global_test=full.subset(test_idx), validation=validation)
