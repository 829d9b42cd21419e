"""Attack matrix: each adversarial behaviour at each fraction of participants.

For every (behaviour, fraction) `repeats` simulations run, repeat `j` with seed `seed + j`;
we report the final accuracy, every attacker's net token change, and how many honest nodes
were slashed (summed over repeats). A seeded simulation replays exactly (beacon and keys
derive from the seed), so repeat `j` of a cell and the clean run with seed `seed + j` have the
same participants and data and, as long as the attack does not change the number of blocks
mined, the same role draws: each cell's accuracy drop is taken against the clean run of the
same seed and averaged over seeds, comparing like with like.

A second reference separates the defence from the data the attackers take away: plain
FedAvg over only the honest proposers of the attack run's own rounds ("honest-only"), which
is what a perfect defence reaches. The drop vs clean includes the attackers' missing data
(30 % of it in a 30 % cell); the drop vs honest-only is what the accepted attacks cost.
Ten rounds by default: after five the clean model is still far from converged and a
single round's draws move the final accuracy by several points.
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
    participants: int = 10,
    rounds: int = 10,
    behaviours: Sequence[str] = ATTACKS,
    repeats: int = 2,
    seed: int = 0,
) -> dict[str, Any]:
    """Run the matrix; print a rich table; write JSON to `out` if given."""
    seeds = [seed + j for j in range(repeats)]
    clean_runs = [run_simulation(SimConfig(participants=participants, rounds=rounds, seed=s)) for s in seeds]
    clean = [r.final_accuracy or 0.0 for r in clean_runs]
    clean_mean = sum(clean) / len(clean)
    rows: list[dict[str, Any]] = []
    for name in behaviours:
        for fraction in fractions:
            count = max(1, round(fraction * participants))
            accs: list[float] = []
            honest_only: list[float] = []
            nets: list[float] = []
            honest_slashed = 0
            attackers_rejected = attackers_accepted = 0
            conserved = True
            for s in seeds:
                rep = run_simulation(
                    SimConfig(participants=participants, rounds=rounds, seed=s, adversaries={name: count})
                )
                kinds = {p.address: p.adversarial for p in rep.participants}
                accs.append(rep.final_accuracy or 0.0)
                honest_only.append(rep.honest_baseline_accuracy[-1] if rep.honest_baseline_accuracy else 0.0)
                nets.extend((p.net_change or 0) / TOKEN for p in rep.participants if p.adversarial)
                honest_slashed += len(rep.slashed(adversarial=False))
                for record in rep.rounds:
                    for address, verdict in record.verdicts.items():
                        if kinds.get(address):
                            attackers_rejected += verdict == "rejected"
                            attackers_accepted += verdict == "accepted"
                conserved = conserved and bool(rep.conservation_ok)
            mean_acc = sum(accs) / len(accs)
            drops = [100 * (c - a) for c, a in zip(clean, accs)]
            defence_drops = [100 * (h - a) for h, a in zip(honest_only, accs)]
            rows.append(
                {
                    "behaviour": name,
                    "fraction": fraction,
                    "attackers": count,
                    "final_accuracy": mean_acc,
                    "final_accuracies": accs,
                    "clean_accuracy": clean_mean,
                    "accuracy_drop_pt": sum(drops) / len(drops),
                    "accuracy_drops_pt": drops,
                    "honest_only_accuracy": sum(honest_only) / len(honest_only),
                    "drop_vs_honest_only_pt": sum(defence_drops) / len(defence_drops),
                    "seeds": seeds,
                    "attacker_net_change_tokens": nets,
                    "all_attackers_lost": all(v < 0 for v in nets),
                    "attacker_updates_rejected": attackers_rejected,
                    "attacker_updates_accepted": attackers_accepted,
                    "honest_slashed": honest_slashed,
                    "conservation_ok": conserved,
                }
            )
    table = Table(title=f"attacks: {participants} participants, {rounds} rounds, {repeats} run(s) per cell")
    for col in ("behaviour", "fraction", "final acc", "drop vs clean (pt)", "vs honest-only (pt)", "attacker updates rej/acc",
                "attacker net (tokens)", "all lost", "honest slashed"):  # drop: mean over seeds vs same-seed clean
        table.add_column(col)
    for row in rows:
        table.add_row(
            row["behaviour"], f"{row['fraction']:.2f}", f"{row['final_accuracy']:.3f}", f"{row['accuracy_drop_pt']:+.1f}",
            f"{row['drop_vs_honest_only_pt']:+.1f}",
            f"{row['attacker_updates_rejected']}/{row['attacker_updates_accepted']}",
            ", ".join(f"{v:+.0f}" for v in row["attacker_net_change_tokens"]), "yes" if row["all_attackers_lost"] else "NO",
            str(row["honest_slashed"]),
        )
    Console().print(table)
    Console().print(f"clean accuracy: {clean_mean:.3f} ({', '.join(f'{a:.3f}' for a in clean)})")
    result = {
        "participants": participants, "rounds": rounds, "repeats": repeats,
        "clean_accuracy": clean_mean, "clean_accuracies": clean, "rows": rows,
    }
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2))
    return result
