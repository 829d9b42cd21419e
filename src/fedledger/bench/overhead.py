"""Protocol overhead: wall time per round of the full protocol vs plain FedAvg, same task,
same partitions, same client sampling, same run (the baseline replays the protocol's rounds).

Workloads: (1) digits MLP with 10 participants: fixed protocol seconds per round and per
participant; (2) reference: ~1M-parameter CNN on 28x28 images, 8 participants, 1 local epoch:
the ratio protocol/baseline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from fedledger.sim.config import SimConfig
from fedledger.sim.engine import run_simulation


def _measure(config: SimConfig) -> dict[str, Any]:
    rep = run_simulation(config)
    protocol_s = sum(r.wall_s for r in rep.rounds)
    rounds = len(rep.rounds)
    return {
        "participants": config.participants,
        "rounds": rounds,
        "protocol_s_per_round": protocol_s / rounds,
        "baseline_s_per_round": rep.baseline_wall_s / rounds,
        "ratio": protocol_s / rep.baseline_wall_s if rep.baseline_wall_s else None,
        "overhead_s_per_round": (protocol_s - rep.baseline_wall_s) / rounds,
        "overhead_s_per_round_per_participant": (protocol_s - rep.baseline_wall_s) / rounds / config.participants,
        "final_accuracy": rep.final_accuracy,
        "baseline_accuracy": rep.final_baseline_accuracy,
    }


def run_overhead(out: Path | None = None, rounds: int = 3, reference: bool = True) -> dict[str, Any]:
    """Measure both workloads; print a rich table; write JSON to `out` if given."""
    result: dict[str, Any] = {
        "digits_mlp": _measure(SimConfig(participants=10, rounds=rounds, local_epochs=1)),
    }
    if reference:
        result["cnn_reference"] = _measure(
            SimConfig(
                participants=8, rounds=rounds, dataset="digits28", model="cnn", model_kwargs={},
                local_epochs=1, batch_size=32, learning_rate=1e-3, alpha=100.0,
            )
        )
    table = Table(title="protocol overhead vs plain FedAvg (same run)")
    for col in ("workload", "protocol s/round", "baseline s/round", "ratio", "overhead s/round/participant"):
        table.add_column(col)
    for name, row in result.items():
        table.add_row(
            name, f"{row['protocol_s_per_round']:.2f}", f"{row['baseline_s_per_round']:.2f}",
            f"{row['ratio']:.2f}" if row["ratio"] else "-", f"{row['overhead_s_per_round_per_participant']:.3f}",
        )
    Console().print(table)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2))
    return result
