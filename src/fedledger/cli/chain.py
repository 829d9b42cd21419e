"""`fedledger chain`: start a local anvil node, deploy the contracts, and keep serving."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console

from fedledger.chain.anvil import DEV_PORT, AnvilNode, port_is_free
from fedledger.chain.client import ChainClient
from fedledger.chain.factory import deploy_stack
from fedledger.cli.errors import handle_errors
from fedledger.cli.options import Deployment, default_deployment

console = Console()


def deploy(client: ChainClient, rpc_url: str, deployment_path: Path) -> Deployment:
    """Deploy token + factory with the chain's first dev account and record where they live."""
    owner = client.dev_accounts()[0]
    stack = deploy_stack(client, owner)
    deployment = Deployment(rpc_url=rpc_url, chain_id=client.chain_id, token=stack.token.address, factory=stack.factory.address)
    deployment.save(deployment_path)
    return deployment


@handle_errors
def chain(
    rpc_url: str | None = typer.Option(None, help="Deploy to this node instead of starting anvil."),
    port: int | None = typer.Option(None, help=f"Port for the anvil node (default: {DEV_PORT} if free, else a free one)."),
    deployment: Path = typer.Option(default_deployment(), help="Where to write the addresses."),
    serve: bool = typer.Option(True, help="Keep the node running until Ctrl-C."),
) -> None:
    """Start a dev chain (anvil on 127.0.0.1), deploy FMLToken + TaskFactory, write a deployment file."""
    if rpc_url is not None:
        result = deploy(ChainClient.connect(rpc_url), rpc_url, deployment)
        console.print(f"deployed to {rpc_url}: token {result.token}, factory {result.factory} -> {deployment}")
        return
    if port is None and port_is_free(DEV_PORT):
        port = DEV_PORT
    elif port is None:
        console.print(f"port {DEV_PORT} is taken; starting anvil on a free port (the deployment file records it)")
    with AnvilNode(port=port) as node:
        result = deploy(ChainClient.connect(node.url), node.url, deployment)
        console.print(f"anvil at [bold]{node.url}[/] (chain id {result.chain_id})")
        console.print(f"token {result.token}\nfactory {result.factory}\ndeployment -> {deployment}")
        if not serve:
            return
        console.print("serving; Ctrl-C to stop")
        try:
            while True:
                time.sleep(1.0)
        except KeyboardInterrupt:
            console.print("stopping")
