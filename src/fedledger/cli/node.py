"""`fedledger node run`: one participant as its own process, following a task to the end."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from fedledger.cli.errors import handle_errors
from fedledger.cli.options import Deployment, default_deployment, default_home
from fedledger.core.errors import ConfigError
from fedledger.core.paths import default_node_states
from fedledger.node.behaviours import BEHAVIOURS
from fedledger.node.participant import RETRY_FOR_S
from fedledger.node.runner import configure_logging, run_node

app = typer.Typer(help="Run a participant node.", no_args_is_help=True)


@app.command()
@handle_errors
def run(
    task: str = typer.Option(..., help="AllianceTask address."),
    rpc_url: str | None = typer.Option(None, help="JSON-RPC node URL (default: the deployment file's node)."),
    deployment: Path = typer.Option(
        default_deployment(), help="Deployment file written by `fedledger chain` (read when --rpc-url is not given)."
    ),
    keystore: Path = typer.Option(..., help="This node's encrypted keystore."),
    password_file: Path = typer.Option(..., help="File holding the keystore password."),
    data: Path | None = typer.Option(None, help="Private data (CSV/NPZ matching the spec's schema); default: the bundled set."),
    storage: str = typer.Option(str(default_home() / "blobs"), help="Blob store: a directory or a Kubo URL."),
    state_dir: Path | None = typer.Option(
        None, help="Where the node keeps its crash-safe state (default ~/.fedledger/nodes/<task>/<account>)."
    ),
    behaviour: str = typer.Option("honest", help=f"Behaviour (simulation): {', '.join(sorted(BEHAVIOURS))}."),
    start_at: int | None = typer.Option(None, help="Start round 0 once this many participants joined (default: when full)."),
    poll: float = typer.Option(0.5, help="Seconds between chain polls when idle."),
    retry_for: float = typer.Option(
        RETRY_FOR_S, help="Seconds of failing steps in a row (node or store unreachable) before giving up; 0: never retry."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also print the libraries' info messages."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print warnings only, not each action."),
) -> None:
    """Join the task (stake), then train, vote, finalize and withdraw as the chain dictates; resumable."""
    configure_logging(verbose, quiet)
    if rpc_url is None and not deployment.exists():
        raise ConfigError(f"no --rpc-url and no deployment file at {deployment}: pass --rpc-url, or start a chain with `fedledger chain`")
    summary = run_node(
        rpc_url or Deployment.load(deployment).rpc_url, keystore, password_file, task, data, storage,
        state_dir, behaviour=behaviour, poll_s=poll, start_at=start_at,
        retry_for_s=retry_for, state_home=default_node_states(),
    )
    typer.echo(json.dumps(summary, indent=2))
