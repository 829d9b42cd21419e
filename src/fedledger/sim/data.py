"""The data side of a simulation: a held-out global test set plus one private share per node."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fedledger.learning.data import Dataset, load_dataset
from fedledger.learning.partition import dirichlet_label_skew, train_test_split
from fedledger.learning.spec import TaskSpec


@dataclass(frozen=True)
class SimData:
    """`shares[i]` is participant i's private data; `global_test` is never given to any node."""

    shares: list[Dataset]
    global_test: Dataset


def make_sim_data(spec: TaskSpec, participants: int, alpha: float, seed: int, global_test_fraction: float) -> SimData:
    """Load the spec's dataset, hold out a global test set, Dirichlet-partition the rest."""
    full = load_dataset(spec.dataset, seed=seed)
    pool_idx, test_idx = train_test_split(np.arange(len(full)), global_test_fraction, seed)
    pool = full.subset(pool_idx)
    parts = dirichlet_label_skew(pool.y, participants, alpha, seed, min_samples=10)
    return SimData(shares=[pool.subset(p) for p in parts], global_test=full.subset(test_idx))
