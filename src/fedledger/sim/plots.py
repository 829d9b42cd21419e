"""PNG plots of a simulation report (matplotlib, headless Agg backend)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from fedledger.sim.report import SimReport  # noqa: E402


def plot_accuracy(report: SimReport, path: Path) -> Path:
    """Global-model accuracy per round, protocol vs the plain FedAvg baseline."""
    fig, ax = plt.subplots(figsize=(6, 4))
    rounds = [r.round for r in report.rounds]
    ax.plot(rounds, [r.accuracy for r in report.rounds], marker="o", label="fedledger (on-chain)")
    if report.baseline_accuracy:
        base = report.baseline_accuracy[: len(rounds)] if rounds else report.baseline_accuracy
        ax.plot(list(range(len(base))), base, marker="x", linestyle="--", label="plain FedAvg baseline")
    ax.set_xlabel("round")
    ax.set_ylabel("accuracy on held-out test set")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_balances(report: SimReport, path: Path) -> Path:
    """Token balance (stake + claimable) per participant after each round; red = adversarial."""
    fig, ax = plt.subplots(figsize=(6, 4))
    rounds = [-1] + [r.round for r in report.rounds]
    labelled: set[bool] = set()
    for p in report.participants:
        series = [int(report.config.get("stake", 0))] + [r.balances.get(p.address) for r in report.rounds]
        kind = p.adversarial
        ax.plot(
            rounds,
            [None if v is None else v / 1e18 for v in series],
            color="tab:red" if kind else "tab:blue",
            alpha=0.8,
            marker=".",
            label=(f"adversarial ({p.behaviour})" if kind else "honest") if kind not in labelled else None,
        )
        labelled.add(kind)
    ax.set_xlabel("round (-1 = after joining)")
    ax.set_ylabel("stake + claimable (tokens)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_plots(report: SimReport, out_dir: Path) -> list[Path]:
    """Write both plots into `out_dir`; returns their paths."""
    return [plot_accuracy(report, out_dir / "accuracy.png"), plot_balances(report, out_dir / "balances.png")]
