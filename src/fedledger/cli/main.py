"""The `fedledger` entry point: every command group is registered here, once."""

from __future__ import annotations

import typer

from fedledger import __version__
from fedledger.cli import bench, data, keys, node, task
from fedledger.cli.chain import chain
from fedledger.cli.dashboard import dashboard
from fedledger.cli.demo import demo
from fedledger.cli.fund import fund
from fedledger.node.memory import retain_freed_memory

app = typer.Typer(
    help="fedledger: incentivised, verifiable, decentralised federated learning on an EVM chain.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _process_setup() -> None:
    """Every command runs nodes, a simulation or a benchmark of them in this process: keep
    their per-round model-sized temporaries on mapped pages (`fedledger.node.memory`)."""
    retain_freed_memory()


app.command(name="demo")(demo)
app.command(name="chain")(chain)
app.command(name="fund")(fund)
app.command(name="dashboard")(dashboard)
app.add_typer(task.app, name="task")
app.add_typer(node.app, name="node")
app.add_typer(keys.app, name="keys")
app.add_typer(data.app, name="data")
app.add_typer(bench.app, name="bench")


@app.command()
def version() -> None:
    """Print the fedledger version."""
    typer.echo(__version__)


if __name__ == "__main__":
    app()
