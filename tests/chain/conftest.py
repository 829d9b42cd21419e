"""Fixtures of the chain tests: a freshly deployed FMLToken with a minted supply."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from fedledger.chain import ChainClient

SUPPLY = 10**24


@dataclass
class TokenSetup:
    client: ChainClient
    token: Contract
    owner: LocalAccount
    supply: int = SUPPLY


@pytest.fixture
def token_setup(chain_client: ChainClient) -> TokenSetup:
    owner = chain_client.dev_accounts()[0]
    token = chain_client.deploy("FMLToken", owner.address, sender=owner)
    chain_client.transact(token.functions.mint(owner.address, SUPPLY), owner)
    return TokenSetup(chain_client, token, owner)
