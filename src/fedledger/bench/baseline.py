"""Benchmark: per-round test accuracy of plain FedAvg on digits (the protocol's yardstick).

10 clients, 10 rounds, the `digits_mlp_spec` preset (its rate decayed over the rounds); IID and Dirichlet(α = 0.3) label
skew. The protocol's accuracy per round is compared against these curves.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from fedledger.bench.output import write_result
from fedledger.learning.baseline import make_federation, run_fedavg_baseline
from fedledger.learning.data import load_digits
from fedledger.learning.presets import digits_mlp_spec


def run_baseline(
    out: Path | None = None,
    num_clients: int = 10,
    rounds: int = 10,
    alpha: float = 0.3,
    seed: int = 0,
    schemes: Sequence[str] = ("iid", "dirichlet"),
) -> dict[str, Any]:
    """Run the plain FedAvg baseline per partition scheme; return per-round accuracy."""
    data = load_digits()
    spec = digits_mlp_spec(seed=seed, rounds=rounds)
    runs: dict[str, Any] = {}
    for scheme in schemes:
        clients, test = make_federation(data, num_clients, seed, scheme, alpha)  # type: ignore[arg-type]
        t0 = time.perf_counter()
        result = run_fedavg_baseline(spec, clients, rounds, test)
        runs[scheme] = {
            "alpha": alpha if scheme != "iid" else None,
            "initial_accuracy": result.initial_accuracy,
            "accuracy": result.accuracies,
            "loss": [r.loss for r in result.rounds],
            "train_seconds": sum(r.train_seconds for r in result.rounds),
            "aggregate_seconds": sum(r.aggregate_seconds for r in result.rounds),
            "wall_seconds": time.perf_counter() - t0,
            "client_sizes": [len(c) for c in clients],
            "test_size": len(test),
        }
    report = {
        "benchmark": "baseline_accuracy",
        "dataset": "digits",
        "clients": num_clients,
        "rounds": rounds,
        "seed": seed,
        "spec_digest": spec.spec_digest().hex(),
        "runs": runs,
    }
    table = Table(title=f"Plain FedAvg on digits: test accuracy per round ({num_clients} clients)")
    table.add_column("round", justify="right")
    for scheme in runs:
        table.add_column(scheme if scheme == "iid" else f"{scheme} α={alpha}", justify="right")
    for r in range(rounds):
        table.add_row(str(r + 1), *(f"{runs[s]['accuracy'][r]:.3f}" for s in runs))
    Console().print(table)
    write_result(out, report)
    return report
