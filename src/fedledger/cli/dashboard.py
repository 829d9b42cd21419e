"""`fedledger dashboard`: serve the read-only web dashboard over a chain, a demo report, or both."""

from __future__ import annotations

from pathlib import Path

import typer

from fedledger.cli.errors import handle_errors
from fedledger.cli.options import Deployment, default_deployment
from fedledger.core.errors import ConfigError


@handle_errors
def dashboard(
    rpc_url: str | None = typer.Option(None, help="JSON-RPC node to read (default: the deployment file's rpc_url)."),
    deployment: Path | None = typer.Option(
        None, help=f"Deployment file written by `fedledger chain` (default: {default_deployment()} when it exists)."
    ),
    report: Path | None = typer.Option(None, help="report.json written by `fedledger demo` (offline view of a finished run)."),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port to listen on."),
    poll_interval: float = typer.Option(1.0, min=0.05, help="Seconds between event polls of the WebSocket stream."),
) -> None:
    """Serve the dashboard: tasks, rounds, roles, votes, rewards, slashes and accuracy plots (never sends a transaction)."""
    import uvicorn

    from fedledger.api import create_app
    from fedledger.chain.client import ChainClient

    client, factory = None, None
    if deployment is None and (rpc_url is not None or report is None):
        candidate = default_deployment()
        if candidate.exists() or rpc_url is not None:
            deployment = candidate
    if deployment is not None:
        dep = Deployment.load(deployment)
        client = ChainClient.connect(rpc_url or dep.rpc_url)
        if client.chain_id != dep.chain_id:
            raise ConfigError(
                f"{client.endpoint} is chain {client.chain_id}, but {deployment} was deployed on chain {dep.chain_id}"
            )
        factory = dep.factory
    if client is None and report is None:
        raise ConfigError("nothing to show: pass --deployment (and --rpc-url) for a live chain, --report for a demo report, or both")
    app = create_app(client, factory, report, poll_interval_s=poll_interval)
    typer.echo(f"dashboard on http://{host}:{port}/ (API docs at /docs)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
