"""`fedledger fund`: give an address ETH for gas and FML to stake, on a dev chain."""

from __future__ import annotations

from pathlib import Path

import typer

from fedledger.chain.client import ChainClient
from fedledger.chain.token import TokenClient
from fedledger.cli.errors import handle_errors
from fedledger.cli.options import Deployment, default_deployment
from fedledger.core.errors import ConfigError
from fedledger.core.units import TOKEN


@handle_errors
def fund(
    address: str = typer.Argument(..., help="Address to fund."),
    eth: float = typer.Option(10.0, min=0, help="ETH for gas, from the node's first dev account."),
    fml: float = typer.Option(200.0, min=0, help="FML minted by the token owner (dev chains only)."),
    deployment: Path = typer.Option(default_deployment(), help="Deployment file from `fedledger chain`."),
) -> None:
    """Send ETH and mint FML to `address` (dev chains: anvil, hardhat, the embedded EVM)."""
    dep = Deployment.load(deployment)
    client = ChainClient.connect(dep.rpc_url)
    token = TokenClient.at(client, dep.token)
    if not token.is_dev_chain():
        raise ConfigError(f"chain {client.chain_id} is not a dev chain: FML cannot be minted there; buy or transfer it")
    owner = client.dev_accounts()[0]
    client.wait_all([client.send_eth(address, int(eth * TOKEN), owner)])
    token.mint(address, int(fml * TOKEN), owner)
    typer.echo(f"{address}: {client.balance(address) / TOKEN:.2f} ETH, {token.balance_of(address) / TOKEN:.2f} FML")
