"""Attack matrix: each adversarial behaviour at each fraction of participants.

For every (behaviour, fraction) one simulation runs; we report the final accuracy (and the
clean run's), the attackers' mean net token change and how many honest nodes were slashed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from fedledger.node.behaviours import ATTACKS
from fedledger.sim.config import TOKEN, SimConfig
from fedledger.sim.engine import run_simulation


def run_attacks(
    fractions: Sequence[float] = (0.1, 0.3, 0.45),
    out: Path | None = None,
    participants: int = 8,
    rounds: int = 5,
    behaviours: Sequence[str] = ATTACKS,
) -> dict[str, Any]:
    """Run the matrix; print a rich table; write JSON to `out` if given."""
    clean = run_simulation(SimConfig(participants=participants, rounds=rounds))
    rows: list[dict[str, Any]] = []
    for name in behaviours:
        for fraction in fractions:
            count = max(1, round(fraction * participants))
            rep = run_simulation(SimConfig(participants=participants, rounds=rounds, adversaries={name: count}))
            attackers = [p for p in rep.participants if p.adversarial]
            rows.append(
                {
                    "behaviour": name,
                    "fraction": fraction,
                    "attackers": count,
                    "final_accuracy": rep.final_accuracy,
                    "clean_accuracy": clean.final_accuracy,
                    "attacker_net_change_tokens": [(p.net_change or 0) / TOKEN for p in attackers],
                    "all_attackers_lost": all((p.net_change or 0) < 0 for p in attackers),
                    "honest_slashed": len(rep.slashed(adversarial=False)),
                    "conservation_ok": rep.conservation_ok,
                }
            )
    table = Table(title=f"attacks: {participants} participants, {rounds} rounds")
    for col in ("behaviour", "fraction", "final acc", "clean acc", "attacker net (tokens)", "honest slashed"):
        table.add_column(col)
    for row in rows:
        table.add_row(
            row["behaviour"], f"{row['fraction']:.2f}", f"{row['final_accuracy']:.3f}", f"{row['clean_accuracy']:.3f}",
            ", ".join(f"{v:+.1f}" for v in row["attacker_net_change_tokens"]), str(row["honest_slashed"]),
        )
    Console().print(table)
    result = {"participants": participants, "rounds": rounds, "clean_accuracy": clean.final_accuracy, "rows": rows}
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2))
    return result
