"""Plain federated averaging with no chain and no storage: the yardstick.

Every round, every client trains from the current global model (`train_local`), the
server averages the results (`fedavg`, or another strategy) and the new global model is
evaluated on a held-out global test set. The protocol's nodes call the very same
`train_local` / `fedavg` / `evaluate`, so the difference between this loop and a protocol
run is exactly the protocol's overhead (and its effect on accuracy).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from fedledger.core.errors import ValidationError
from fedledger.learning.aggregate import FedAvg
from fedledger.learning.data import Dataset
from fedledger.learning.partition import dirichlet_label_skew, iid, quantity_skew, train_test_split
from fedledger.learning.spec import TaskSpec
from fedledger.learning.train import derive_seed, evaluate, initial_state, train_local
from fedledger.learning.updates import State


@dataclass(frozen=True)
class BaselineRound:
    """Metrics of the global model after one round."""

    round: int
    accuracy: float
    loss: float
    train_seconds: float
    aggregate_seconds: float


@dataclass
class BaselineResult:
    """Per-round metrics and the final global model of a baseline run."""

    rounds: list[BaselineRound] = field(default_factory=list)
    final_state: State = field(default_factory=dict)
    initial_accuracy: float = 0.0

    @property
    def accuracies(self) -> list[float]:
        """Test accuracy after each round."""
        return [r.accuracy for r in self.rounds]


def make_federation(
    data: Dataset,
    num_clients: int,
    seed: int,
    scheme: Literal["iid", "dirichlet", "quantity"] = "iid",
    alpha: float = 0.5,
    test_fraction: float = 0.2,
) -> tuple[list[Dataset], Dataset]:
    """Hold out a global test set, then partition the rest among clients.

    Returns (client datasets, global test set). `alpha` is used by the skewed schemes.
    """
    train_idx, test_idx = train_test_split(
        np.arange(len(data)), test_fraction, derive_seed(seed, "global-test")
    )
    pool = data.subset(train_idx)
    part_seed = derive_seed(seed, "partition", scheme)
    if scheme == "iid":
        parts = iid(len(pool), num_clients, part_seed)
    elif scheme == "dirichlet":
        parts = dirichlet_label_skew(pool.y, num_clients, alpha, part_seed)
    elif scheme == "quantity":
        parts = quantity_skew(len(pool), num_clients, alpha, part_seed)
    else:
        raise ValidationError(f"unknown partition scheme {scheme!r}; use iid, dirichlet or quantity")
    return [pool.subset(p) for p in parts], data.subset(test_idx)


def run_fedavg_baseline(
    spec: TaskSpec,
    partitions: Sequence[Dataset],
    rounds: int,
    test_data: Dataset,
    *,
    start_state: State | None = None,
    strategy: FedAvg | None = None,
    on_round: Callable[[BaselineRound], None] | None = None,
) -> BaselineResult:
    """Run `rounds` rounds of plain FedAvg over the client datasets `partitions`.

    Client c in round r trains with seed `derive_seed(spec.seed, r, c)`, so a run is
    reproducible. `strategy` defaults to FedAvg weighted by client sample counts.
    """
    if rounds < 1:
        raise ValidationError(f"rounds must be >= 1, got {rounds}")
    if not partitions:
        raise ValidationError("the baseline needs at least one client dataset")
    agg = strategy or FedAvg()
    state = start_state if start_state is not None else initial_state(spec)
    result = BaselineResult(initial_accuracy=evaluate(state, spec, test_data)["accuracy"])
    for r in range(rounds):
        t0 = time.perf_counter()
        trained = [
            train_local(state, spec, part, derive_seed(spec.seed, r, c), r) for c, part in enumerate(partitions)
        ]
        t1 = time.perf_counter()
        state = agg.aggregate([s for s, _ in trained], [n for _, n in trained])
        t2 = time.perf_counter()
        metrics = evaluate(state, spec, test_data)
        record = BaselineRound(r, metrics["accuracy"], metrics["loss"], t1 - t0, t2 - t1)
        result.rounds.append(record)
        if on_round is not None:
            on_round(record)
    result.final_state = state
    return result
