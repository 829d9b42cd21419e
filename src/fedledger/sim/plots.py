"""PNG plots of a simulation report (matplotlib, headless Agg backend)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from fedledger.sim.report import SimReport  # noqa: E402


def accuracy_figure(report: SimReport) -> Figure:
    """Global-model accuracy per round, protocol vs the plain FedAvg baseline and, with
    adversaries, vs FedAvg of only the honest proposers of each round: what rejecting every
    attacker (and losing its data) reaches, so a reader can tell the defence's cost from the
    attack's."""
    fig, ax = plt.subplots(figsize=(6, 4))
    rounds = [r.round for r in report.rounds]
    ax.plot(rounds, [r.accuracy for r in report.rounds], marker="o", label="fedledger (on-chain)")
    baselines = (
        (report.baseline_accuracy, {"marker": "x", "linestyle": "--", "label": "plain FedAvg baseline"}),
        (report.honest_baseline_accuracy, {"marker": "+", "linestyle": ":", "color": "tab:green",
                                           "label": "FedAvg of the honest proposers (a perfect defence)"}),
    )
    for values, style in baselines:
        if values:
            shown = values[: len(rounds)] if rounds else values
            ax.plot(list(range(len(shown))), shown, **style)
    ax.set_xlabel("round")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("accuracy on held-out test set")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def plot_accuracy(report: SimReport, path: Path) -> Path:
    """`accuracy_figure` as a PNG at `path`."""
    return save_figure(accuracy_figure(report), path)


def save_figure(fig: Figure, path: Path) -> Path:
    """Lay `fig` out, write it as a PNG at `path` (parents created) and free it."""
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


HONEST = "honest"
ADVERSARY_STYLES = (
    ("tab:red", "x", "--"),
    ("tab:orange", "^", "-."),
    ("tab:purple", "s", ":"),
    ("tab:brown", "v", "--"),
    ("tab:pink", "D", "-."),
    ("tab:olive", "P", ":"),
    ("tab:gray", "*", "--"),
    ("black", "+", "-."),
)
"""Colour, marker and line style per adversarial behaviour. Attackers that are slashed alike
have identical balance curves, so each behaviour also gets its own marker and dash: both
curves stay visible where they overlap."""


def balance_series(report: SimReport) -> dict[str, list[float | None]]:
    """Per participant address: stake + claimable in tokens after joining and after each round
    (None where the report has no balance for that round)."""
    start = int(report.config.get("stake", 0))
    return {
        p.address: [start / 1e18] + [None if (v := r.balances.get(p.address)) is None else v / 1e18 for r in report.rounds]
        for p in report.participants
    }


def balance_figure(report: SimReport) -> Figure:
    """Token balance (stake + claimable) per participant after each round: honest in blue, each
    adversarial behaviour in its own colour, marker and dash, one legend entry per group
    with its head count."""
    fig, ax = plt.subplots(figsize=(6, 4))
    rounds = [-1] + [r.round for r in report.rounds]
    group = {p.address: p.behaviour if p.adversarial else HONEST for p in report.participants}
    sizes = Counter(group.values())
    styles = {b: ADVERSARY_STYLES[i % len(ADVERSARY_STYLES)] for i, b in enumerate(sorted(set(sizes) - {HONEST}))}
    styles[HONEST] = ("tab:blue", ".", "-")
    labelled: set[str] = set()
    for address, series in balance_series(report).items():
        g = group[address]
        colour, marker, dash = styles[g]
        label = None if g in labelled else f"{g} ({sizes[g]})"
        labelled.add(g)
        ax.plot(rounds, series, color=colour, marker=marker, linestyle=dash, alpha=0.8, label=label)
    ax.set_xlabel("round (-1 = after joining)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("stake + claimable (tokens)")
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def plot_balances(report: SimReport, path: Path) -> Path:
    """`balance_figure` as a PNG at `path`."""
    return save_figure(balance_figure(report), path)


def write_plots(report: SimReport, out_dir: Path) -> list[Path]:
    """Write both plots into `out_dir`; returns their paths."""
    return [plot_accuracy(report, out_dir / "accuracy.png"), plot_balances(report, out_dir / "balances.png")]
