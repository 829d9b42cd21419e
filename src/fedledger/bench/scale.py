"""Scale: one simulated task with many participants; wall time and gas per round."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from fedledger.bench.output import write_result
from fedledger.sim.config import SimConfig
from fedledger.sim.engine import run_simulation


def run_scale(n: int = 100, rounds: int = 10, out: Path | None = None) -> dict[str, Any]:
    """Run `n` participants for `rounds` rounds on synthetic data; report time and gas.

    The plain-FedAvg replay of the same rounds runs too (a few seconds for logistic
    regression): an accuracy figure is only readable beside what the same clients reach
    without the protocol (40 samples each learn slowly either way)."""
    rep = run_simulation(
        SimConfig(
            participants=n, rounds=rounds, dataset="synthetic", model="logreg", model_kwargs={},
            synthetic_samples=max(2000, 40 * n), proposer_ratio_bps=3000, local_epochs=1,
        )
    )
    per_round = [
        {
            "round": r.round,
            "wall_s": r.wall_s,
            "protocol_s": r.protocol_s,
            "chain_s": r.breakdown.get("chain", 0.0),
            "transactions": r.transactions,
            "gas": sum(r.gas.values()),
        }
        for r in rep.rounds
    ]
    result = {
        "participants": n,
        "rounds": rounds,
        "wall_s": rep.wall_s,
        "per_round": per_round,
        "gas_totals": rep.gas_totals(),
        "gas_total": sum(rep.gas_totals().values()),
        "transactions": sum(r.transactions for r in rep.rounds),
        "honest_slashed": len(rep.slashed(adversarial=False)),
        "final_accuracy": rep.final_accuracy,
        "baseline_accuracy": rep.final_baseline_accuracy,
        "conservation_ok": rep.conservation_ok,
    }
    table = Table(title=f"scale: {n} participants, {rounds} rounds")
    for col in ("round", "wall s", "protocol s", "chain s", "tx", "gas"):
        table.add_column(col)
    for row in per_round:
        table.add_row(
            str(row["round"]), f"{row['wall_s']:.1f}", f"{row['protocol_s']:.1f}", f"{row['chain_s']:.1f}",
            str(row["transactions"]), f"{row['gas']:,}",
        )
    console = Console()
    console.print(table)
    console.print(
        f"{n} x {rounds} in {rep.wall_s:.0f} s, {result['transactions']:,} transactions, {result['gas_total']:,} gas; "
        f"final accuracy {rep.final_accuracy:.3f} (plain FedAvg on the same partitions {rep.final_baseline_accuracy:.3f}); "
        f"honest nodes slashed {result['honest_slashed']}; token conservation {'holds' if rep.conservation_ok else 'FAILS'}"
    )
    write_result(out, result)
    return result
