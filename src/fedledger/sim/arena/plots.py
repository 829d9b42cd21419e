"""PNG plots of an Arena report (matplotlib, headless Agg backend): leaderboard, validator
agreement with the medians, and rewards/slashes per address."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from fedledger.core.records import ARENA_SCORE_SCALE  # noqa: E402
from fedledger.sim.arena.config import TOKEN  # noqa: E402
from fedledger.sim.arena.report import ArenaReport  # noqa: E402
from fedledger.sim.plots import save_figure  # noqa: E402


def plot_leaderboard(report: ArenaReport, path: Path) -> Path:
    """Settled score per trainer (bars) and its reward (line, right axis); the winner is starred."""
    fig, ax = plt.subplots(figsize=(7, 4))
    labels = [f"{t.address[:8]}\n{t.samples}x{t.epochs}ep" for t in report.trainers]
    scores = [(t.score or 0) / ARENA_SCORE_SCALE for t in report.trainers]
    colours = ["tab:orange" if report.winner is not None and report.submissions[report.winner].trainer == t.address
               else "tab:blue" for t in report.trainers]
    ax.bar(range(len(labels)), scores, color=colours)
    ax.set_xticks(range(len(labels)), labels, fontsize=7)
    ax.set_ylabel("settled score (median accuracy)")
    ax.set_ylim(0, 1)
    ax2 = ax.twinx()
    ax2.plot(range(len(labels)), [t.reward / TOKEN for t in report.trainers], color="tab:green", marker="o")
    ax2.set_ylabel("reward (tokens)", color="tab:green")
    ax.set_title("Arena leaderboard (orange = winner; label: samples x epochs)")
    return save_figure(fig, path)


def plot_agreement(report: ArenaReport, path: Path) -> Path:
    """Each validator's revealed scores against the settled medians; the band is the tolerance."""
    fig, ax = plt.subplots(figsize=(6, 5))
    medians = report.medians()
    tol = int(report.config.get("validator_tolerance", 0)) / ARENA_SCORE_SCALE
    ax.plot([0, 1], [0, 1], color="grey", linewidth=1)
    ax.fill_between([0, 1], [-tol, 1 - tol], [tol, 1 + tol], color="grey", alpha=0.15, label=f"tolerance ±{tol:g}")
    markers = {"honest": "o", "liar": "x", "lazy": "s", "silent": "^"}
    for v in report.validators:
        pts = [(medians[s] / ARENA_SCORE_SCALE, sc / ARENA_SCORE_SCALE) for s, sc in v.scores.items() if s in medians]
        if not pts:
            continue
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], marker=markers.get(v.behaviour, "o"),
                   label=f"{v.address[:8]} {v.behaviour} ({v.deposit / TOKEN:g})")
    ax.set_xlabel("settled (stake-weighted median) score")
    ax.set_ylabel("validator's revealed score")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7)
    ax.set_title("Validator agreement with the medians")
    return save_figure(fig, path)


def plot_payouts(report: ArenaReport, path: Path) -> Path:
    """Reward (green, up) and slash (red, down) per trainer and validator, in tokens."""
    rows = [(f"T {t.address[:8]}", t.reward, t.slashed) for t in report.trainers]
    rows += [(f"V {v.address[:8]} {v.behaviour}", v.reward, v.slashed) for v in report.validators]
    fig, ax = plt.subplots(figsize=(8, 4))
    x = range(len(rows))
    ax.bar(x, [r[1] / TOKEN for r in rows], color="tab:green", label="reward")
    ax.bar(x, [-r[2] / TOKEN for r in rows], color="tab:red", label="slashed")
    ax.set_xticks(list(x), [r[0] for r in rows], rotation=45, ha="right", fontsize=7)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("tokens")
    ax.legend()
    ax.set_title("Arena rewards and slashes per address")
    return save_figure(fig, path)


def plot_alliance(report: ArenaReport, path: Path) -> Path:
    """Accuracy of the derived Alliance task's global model per round (round -1 = Arena winner)."""
    fig, ax = plt.subplots(figsize=(6, 4))
    a = report.alliance
    if a is not None:
        ax.plot([-1, *(r.round for r in a.rounds)], [a.winner_accuracy, *(r.accuracy for r in a.rounds)], marker="o")
    ax.set_xlabel("round (-1 = Arena winner's model)")
    ax.set_ylabel("accuracy on the creator's evaluation set")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.set_title("Derived Alliance task")
    return save_figure(fig, path)


def write_arena_plots(report: ArenaReport, directory: Path) -> list[Path]:
    """Write every plot of the report into `directory`; return their paths."""
    return [
        plot_leaderboard(report, directory / "leaderboard.png"),
        plot_agreement(report, directory / "validator_agreement.png"),
        plot_payouts(report, directory / "payouts.png"),
        plot_alliance(report, directory / "alliance_accuracy.png"),
    ]
