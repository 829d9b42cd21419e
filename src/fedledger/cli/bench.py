"""`fedledger bench …`: run a benchmark of ../shared/BENCHMARKS.md, print a table, write JSON.

Each benchmark lives in `fedledger.bench.<name>` as `run_<name>(..., out=path) -> dict`; this
module only parses options and picks the output path, so the numbers are produced by the same
code whether run from the CLI or from Python.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import typer

from fedledger.cli.errors import handle_errors
from fedledger.node.behaviours import ATTACKS
from fedledger.protocol.roles import MAX_PARTICIPANTS

app = typer.Typer(help="Benchmarks: print a table and write the numbers to JSON.", no_args_is_help=True)

OutOption = typer.Option(None, "--out", "-o", help="JSON output path (default: reports/bench-<name>.json)")


def _numbers(text: str, kind: type[int] | type[float], option: str) -> tuple[Any, ...]:
    """A comma-separated option as numbers; a bad item is a usage error naming the option."""
    try:
        values = tuple(kind(item) for item in text.split(",") if item.strip())
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a comma-separated list of {kind.__name__}s", param_hint=option) from None
    if not values:
        raise typer.BadParameter("give at least one value", param_hint=option)
    return values


def _run(name: str, out: Path | None, **kwargs: Any) -> dict[str, Any]:
    target = out or Path("reports") / f"bench-{name}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    module = importlib.import_module(f"fedledger.bench.{name}")
    result: dict[str, Any] = getattr(module, f"run_{name}")(out=target, **kwargs)
    machine = result.get("machine") or {}
    threads = f", torch threads {machine['torch_threads']}" if "torch_threads" in machine else ""
    typer.echo(f"measured on {machine.get('cpu', '?')} ({machine.get('usable_cpus', '?')} usable CPUs{threads})")
    typer.echo(f"wrote {target}")
    return result


@app.command()
@handle_errors
def gas(
    sizes: str = typer.Option("10,50,100", help="Comma-separated participant counts."),
    out: Path | None = OutOption,
) -> None:
    """Gas per Alliance function and per participant per round."""
    _run("gas", out, sizes=_numbers(sizes, int, "--sizes"))


@app.command()
@handle_errors
def throughput(
    n_tx: int = typer.Option(200, min=1, help="Transactions per measurement."),
    out: Path | None = OutOption,
) -> None:
    """Chain client tx/s vs a naive web3.py loop, in-process and on an anvil node."""
    _run("throughput", out, n_tx=n_tx)


@app.command()
@handle_errors
def aggregation(out: Path | None = OutOption) -> None:
    """FedAvg throughput on 10/50 updates of 1M/10M parameters vs a numpy copy."""
    _run("aggregation", out)


@app.command()
@handle_errors
def baseline(out: Path | None = OutOption) -> None:
    """Per-round accuracy of the plain FedAvg baseline on digits (IID and Dirichlet 0.3)."""
    _run("baseline", out)


@app.command()
@handle_errors
def attacks(
    fractions: str = typer.Option("0.1,0.3,0.45", help="Comma-separated adversary fractions."),
    rounds: int = typer.Option(20, min=1, help="Rounds per simulation."),
    participants: int = typer.Option(10, min=3, max=MAX_PARTICIPANTS, help="Participants per simulation."),
    repeats: int = typer.Option(3, min=1, help="Seeds per cell (seed, seed + 1, ...)."),
    behaviours: str = typer.Option(",".join(ATTACKS), help="Comma-separated behaviours."),
    jobs: int = typer.Option(1, min=1, help="Simulations run at once (processes); results do not depend on it."),
    attackers_vote_honestly: bool = typer.Option(
        False, help="Update attackers vote by the honest rule (never slashed as voters) instead of as one coalition."
    ),
    seed: int = typer.Option(0, help="Seed of the first repeat."),
    alpha: float = typer.Option(0.5, min=0.01, help="Dirichlet label skew (the vote rule is calibrated at 0.5)."),
    local_epochs: int = typer.Option(5, min=1, help="Local epochs per round (the vote rule is calibrated at 5)."),
    out: Path | None = OutOption,
) -> None:
    """Attack matrix: each adversarial behaviour at several fractions of participants."""
    from fedledger.sim.config import skew_warning

    if (warning := skew_warning(alpha)) is not None:
        typer.echo(f"note: {warning}")
    _run(
        "attacks", out, fractions=_numbers(fractions, float, "--fractions"), rounds=rounds, repeats=repeats,
        participants=participants, behaviours=tuple(b.strip() for b in behaviours.split(",") if b.strip()), jobs=jobs,
        attackers_vote_honestly=attackers_vote_honestly, seed=seed, alpha=alpha, local_epochs=local_epochs,
    )


@app.command()
@handle_errors
def overhead(
    repeats: int = typer.Option(3, min=1, help="Runs per reference row; the median ratio is reported."),
    anvil: bool = typer.Option(True, help="Also measure the reference on an anvil node started here."),
    out: Path | None = OutOption,
) -> None:
    """Wall time per round with the full protocol vs the plain FedAvg baseline."""
    _run("overhead", out, repeats=repeats, real_node=anvil)


@app.command()
@handle_errors
def scale(
    participants: int = typer.Option(100, min=3, max=MAX_PARTICIPANTS, help="Number of participants."),
    rounds: int = typer.Option(10, min=1, help="Number of rounds."),
    out: Path | None = OutOption,
) -> None:
    """Many participants on one machine: time and gas."""
    _run("scale", out, n=participants, rounds=rounds)


@app.command()
@handle_errors
def lottery(out: Path | None = OutOption) -> None:
    """Arena validator lottery: gas per draw at 10/100/1000 validators; 4x stake vs selection rate."""
    _run("lottery", out)
