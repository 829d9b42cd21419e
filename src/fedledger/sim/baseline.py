"""Plain FedAvg on the same partitions, splits, client sampling and seeds as the protocol run.

The baseline replays the protocol's rounds without a chain: in round r the same clients
that the chain drew as proposers train the same global model on the same private train
split with the same seed (`node.seeds.train_seed`), and the server averages them with the
same weights (numSamples) in the same order. With every update accepted, the protocol's
global model is therefore byte-identical to the baseline's; any accuracy difference comes
only from which updates the voters accepted.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fedledger.learning.data import Dataset
from fedledger.learning.spec import TaskSpec
from fedledger.node.learner import accuracy, fedavg, initial_state, split_local_data, train_state
from fedledger.node.seeds import train_seed


@dataclass
class BaselineResult:
    accuracy: list[float]
    wall_s: float
    round_s: list[float]
    final_state: Any


def run_replayed_fedavg(
    spec: TaskSpec,
    shares: dict[str, Dataset],
    proposers_per_round: Sequence[Sequence[str]],
    global_test: Dataset,
    test_fraction: float,
    initial: Any | None = None,
) -> BaselineResult:
    """FedAvg where round r's clients are `proposers_per_round[r]` (addresses into `shares`)."""
    start = time.perf_counter()
    splits = {addr: split_local_data(data, addr, test_fraction)[0] for addr, data in shares.items()}
    state = initial if initial is not None else initial_state(spec)
    accs: list[float] = []
    round_s: list[float] = []
    for r, clients in enumerate(proposers_per_round):
        t0 = time.perf_counter()
        if clients:  # a round without (honest) clients leaves the model as it is
            trained = [train_state(spec, state, splits[a], train_seed(spec.seed, r, a), r) for a in clients]
            state = fedavg(trained, [len(splits[a]) for a in clients])
        round_s.append(time.perf_counter() - t0)
        accs.append(accuracy(spec, state, global_test))
    return BaselineResult(accuracy=accs, wall_s=time.perf_counter() - start, round_s=round_s, final_state=state)
