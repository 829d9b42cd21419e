"""`fedledger demo`: a whole Alliance task on an embedded chain, with live progress and a report.

Everything runs in this process (in-process EVM, a local blob store in a temp dir, N simulated
participants, some adversarial), so the demo needs no server; `--rpc-url` runs the same
against a real node instead.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fedledger.cli.errors import handle_errors
from fedledger.core.errors import ConfigError
from fedledger.sim.arena import ArenaSimConfig, run_arena_demo
from fedledger.sim.arena.report import ArenaReport
from fedledger.core.units import TOKEN
from fedledger.sim.config import SimConfig, skew_warning
from fedledger.sim.engine import run_simulation
from fedledger.sim.plots import write_plots
from fedledger.sim.report import SimReport

console = Console()

DEFAULT_ADVERSARIES = "noise=1,freerider=1"


def parse_adversaries(text: str) -> dict[str, int]:
    """Parse `name=count,name=count` (empty string = no adversaries)."""
    result: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, count = item.partition("=")
        if not sep or not count.strip().isdigit():
            raise ConfigError(f"adversary {item!r} must look like name=count, e.g. noise=1")
        result[name.strip()] = result.get(name.strip(), 0) + int(count)
    return result


def _round_line(summary: dict[str, Any]) -> str:
    verdicts = ", ".join(f"{who} {verdict}" for who, verdict in summary["verdicts"].items())
    slashed = ", ".join(f"{who} -{amount / TOKEN:.1f}" for who, amount in summary["slashed"].items()) or "none"
    return (
        f"[bold]round {summary['round']}[/]  accuracy [cyan]{summary['accuracy']:.3f}[/]  "
        f"accepted {summary['accepted']} rejected {summary['rejected']} absent {summary['absent']}  "
        f"gas {summary['gas']:,}  {summary['wall_s']:.1f}s\n    verdicts: {verdicts}\n    slashed: {slashed}"
        + (f"\n    sitting out (ejected): {', '.join(summary['ejected'])}" if summary.get("ejected") else "")
    )


def _participants_table(report: SimReport) -> Table:
    table = Table(title="Participants")
    for column in ("address", "behaviour", "net tokens", "slashed"):
        table.add_column(column)
    slashed = set(report.slashed(True)) | set(report.slashed(False))
    for p in report.participants:
        change = p.net_change
        shown = "n/a" if change is None else f"{change / TOKEN:+.2f}"
        colour = "red" if p.adversarial else "green"
        table.add_row(p.address[:10], f"[{colour}]{p.behaviour}[/]", shown, "yes" if p.address in slashed else "")
    return table


def _arena_event(console_: Console, event: dict[str, Any]) -> None:
    kind = event.get("event")
    if kind == "setup":
        console_.print(
            f"arena task {event['task']}: {event['trainers']} trainers, {event['validators']} validators, "
            f"pool {event['reward_pool'] / TOKEN:.0f} FML, evaluation set of {event['eval_samples']} samples (hash on-chain)"
        )
    elif kind == "phase":
        console_.print(f"[bold]phase[/] {event['phase']}")
    elif kind == "alliance_derived":
        console_.print(
            f"derived Alliance task {event['address']} with pool {event['reward_pool'] / TOKEN:.0f} FML, "
            f"starting from the winner's model (accuracy {event['winner_accuracy']:.3f})"
        )
    elif kind == "alliance_round":
        console_.print(
            f"  alliance round {event['round']}: accuracy [cyan]{event['accuracy']:.3f}[/], "
            f"{event['accepted']}/{event['proposers']} updates accepted"
        )


def _arena_tables(report: ArenaReport) -> list[Table]:
    board = Table(title="Arena leaderboard")
    for column in ("trainer", "data x epochs", "score", "reward (FML)"):
        board.add_column(column)
    for t in sorted(report.trainers, key=lambda t: -(t.score or 0)):
        score = "unscored" if t.score is None else f"{t.score / 1e6:.3f}"
        board.add_row(t.address[:10], f"{t.samples} x {t.epochs}", score, f"{t.reward / TOKEN:.2f}")
    validators = Table(title="Validators")
    for column in ("validator", "behaviour", "stake", "reward (FML)", "slashed (FML)"):
        validators.add_column(column)
    for v in report.validators:
        colour = "red" if v.adversarial else "green"
        validators.add_row(
            v.address[:10], f"[{colour}]{v.behaviour}[/]", f"{v.deposit / TOKEN:.0f}", f"{v.reward / TOKEN:.2f}",
            f"{v.slashed / TOKEN:.2f}",
        )
    return [board, validators]


def _captured_lines(report: ArenaReport) -> list[str]:
    """Why honest validators lost stake, when they did: a submission whose drawn committee
    the adversaries held half or more of."""
    slashed_honest = set(report.slashed(False))
    lines = []
    for c in report.captured_submissions():
        honest = ", ".join(
            f"{a[:10]} {score / 1e6:.3f}" + (" (slashed)" if a in slashed_honest else "") for a, score in c.honest_scores.items()
        )
        lines.append(
            f"submission #{c.index}: adversaries held {c.adversary_stake / TOKEN:.0f} of the {c.revealed_stake / TOKEN:.0f} "
            f"FML that scored it, so the stake-weighted median was theirs to set: "
            f"{'unscored' if c.score is None else f'{c.score / 1e6:.3f}'} against honest {honest or 'none'}. "
            "More validators per submission (--validators-per-submission) make such a draw rarer."
        )
    return lines


def _run_arena(out_dir: Path, seed: int, validators_per_submission: int) -> None:
    config = ArenaSimConfig(seed=seed, validators_per_submission=validators_per_submission)
    console.print("[bold]fedledger demo --kind arena[/]: trainers compete, a stake-weighted lottery picks validators")
    report, paths = run_arena_demo(out_dir, config, progress=lambda event: _arena_event(console, event))
    for table in _arena_tables(report):
        console.print(table)
    for line in _captured_lines(report):
        console.print(f"[yellow]note[/]: {line}")
    alliance = report.alliance
    if alliance is not None:
        console.print(
            f"derived Alliance task started from the winner's model: {alliance.starts_from_winner}; "
            f"final accuracy {alliance.final_accuracy:.3f}"
        )
    console.print(f"token conservation {'holds' if report.conservation_ok else '[red]VIOLATED[/]'}; {report.wall_s:.1f}s")
    console.print("report and plots: " + ", ".join(str(p) for p in paths))


@handle_errors
def demo(
    participants: int = typer.Option(8, help="Number of participants."),
    rounds: int = typer.Option(5, help="Number of FL rounds."),
    alpha: float = typer.Option(0.5, help="Dirichlet label-skew concentration (smaller = more non-IID)."),
    adversaries: str = typer.Option(
        DEFAULT_ADVERSARIES,
        help="Adversaries as name=count pairs: noise, signflip, labelflip, sleeper, freerider, lazy, colluding, noshow.",
    ),
    seed: int = typer.Option(
        0, help="Seed of data partitioning and training, and on the embedded chain of the keys and role draws: a seed replays a run."
    ),
    public_validation: int = typer.Option(
        150, help="Samples of the public validation set the task creator publishes (0 = none): voters judge "
        "updates against a reference step trained on it, which catches label flipping.",
    ),
    rpc_url: str | None = typer.Option(None, help="Run against this JSON-RPC node instead of the embedded EVM."),
    out: Path | None = typer.Option(None, help="Report directory (default: reports/demo-<time>)."),
    kind: str = typer.Option("alliance", help="alliance (collaborative FedAvg rounds) or arena (competition, then a derived Alliance task)."),
    validators_per_submission: int = typer.Option(3, help="Arena only: validators the lottery draws per submission (0 = all)."),
) -> None:
    """Run a task end to end: stake, train, vote, reward, slash; then write a report and plots."""
    if kind not in ("alliance", "arena"):
        raise ConfigError(f"--kind must be alliance or arena, got {kind!r}")
    if kind == "arena":
        _run_arena(out or Path("reports") / time.strftime("demo-arena-%Y%m%d-%H%M%S"), seed, validators_per_submission)
        return
    config = SimConfig(
        participants=participants, rounds=rounds, alpha=alpha, adversaries=parse_adversaries(adversaries),
        seed=seed, rpc_url=rpc_url, public_validation_samples=public_validation,
    )
    out_dir = out or Path("reports") / time.strftime("demo-%Y%m%d-%H%M%S")
    console.print(
        f"[bold]fedledger demo[/]: {participants} participants, {rounds} rounds, alpha {alpha}, "
        f"adversaries {config.adversaries or 'none'}, public validation set {public_validation or 'none'}, "
        f"chain {'embedded EVM' if rpc_url is None else rpc_url}"
    )
    if (warning := skew_warning(alpha)) is not None:
        console.print(f"[yellow]note[/]: {warning}")
    with Progress(
        TextColumn("[progress.description]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=console,
    ) as bar:
        task_id = bar.add_task("rounds", total=rounds)

        def on_progress(event: dict[str, Any]) -> None:
            if event.get("event") == "started":
                bar.console.print(f"task {event['task']} created; {event['participants']} participants joined")
            elif event.get("event") == "round":
                bar.console.print(_round_line(event))
                bar.advance(task_id)
            elif event.get("event") == "finished":
                bar.update(task_id, description="baseline done")

        report = run_simulation(config, progress=on_progress)
    report_path = report.write(out_dir / "report.json")
    plots = write_plots(report, out_dir)
    console.print(_participants_table(report))
    final, base = report.final_accuracy, report.final_baseline_accuracy
    honest = report.honest_baseline_accuracy[-1] if report.honest_baseline_accuracy else None
    console.print(
        f"final accuracy [bold cyan]{final:.3f}[/]"
        + (f" (plain FedAvg baseline on the same partitions {base:.3f}" if base is not None else "")
        + (f"; plain FedAvg of only the honest proposers of each round, what a perfect defence reaches, {honest:.3f}"
           if base is not None and honest is not None else "")
        + (")" if base is not None else "")
        + f"; token conservation {'holds' if report.conservation_ok else '[red]VIOLATED[/]'}; {report.wall_s:.1f}s"
    )
    console.print(f"report: {report_path}\nplots: {', '.join(str(p) for p in plots)}")
