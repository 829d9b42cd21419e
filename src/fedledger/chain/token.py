"""`TokenClient`: typed access to the FMLToken contract (staking and reward token).

Why a wrapper: callers above `chain/` speak Python ints and address strings, never web3
objects, and the dev-only faucet is named as such.
"""

from __future__ import annotations

from eth_account.signers.local import LocalAccount
from web3.contract import Contract
from web3.types import TxReceipt

from fedledger.chain.client import ChainClient
from fedledger.core.errors import ValidationError

ARTIFACT = "FMLToken"


def _amount(value: int, what: str) -> int:
    """Reject negative or non-integer token amounts before they reach the ABI encoder."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"{what} must be a non-negative integer amount of token units, got {value!r}")
    return value


class TokenClient:
    """One deployed FMLToken seen through one `ChainClient`."""

    def __init__(self, client: ChainClient, contract: Contract) -> None:
        self.client = client
        self.contract = contract

    @property
    def address(self) -> str:
        return str(self.contract.address)

    @classmethod
    def deploy(cls, client: ChainClient, owner: LocalAccount) -> TokenClient:
        """Deploy a new token whose faucet `owner` controls."""
        return cls(client, client.deploy(ARTIFACT, owner.address, sender=owner))

    @classmethod
    def at(cls, client: ChainClient, address: str) -> TokenClient:
        return cls(client, client.contract_at(ARTIFACT, address))

    def mint(self, to: str, amount: int, sender: LocalAccount) -> TxReceipt:
        """Dev-chain faucet (owner only); reverts with FMLTokenMintOnlyOnDevChain elsewhere."""
        return self.client.transact(self.contract.functions.mint(to, _amount(amount, "mint amount")), sender)

    def approve(self, spender: str, amount: int, sender: LocalAccount) -> TxReceipt:
        return self.client.transact(self.contract.functions.approve(spender, _amount(amount, "allowance")), sender)

    def transfer(self, to: str, amount: int, sender: LocalAccount) -> TxReceipt:
        return self.client.transact(self.contract.functions.transfer(to, _amount(amount, "transfer amount")), sender)

    def balance_of(self, address: str) -> int:
        return int(self.client.call(self.contract.functions.balanceOf(address)))

    def allowance(self, owner: str, spender: str) -> int:
        return int(self.client.call(self.contract.functions.allowance(owner, spender)))

    def total_supply(self) -> int:
        return int(self.client.call(self.contract.functions.totalSupply()))

    def is_dev_chain(self) -> bool:
        """Whether the faucet works on this chain."""
        return bool(self.client.call(self.contract.functions.isDevChain()))
