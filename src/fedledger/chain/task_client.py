"""What the Alliance and Arena task wrappers share: a clone's contract handle and its token."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from web3.contract import Contract

from fedledger.chain.client import ChainClient

T = TypeVar("T", bound="TaskContractClient")


class TaskContractClient:
    """One task clone; subclasses name their artifact and add typed transactions and views."""

    ARTIFACT: ClassVar[str]

    def __init__(self, client: ChainClient, contract: Contract, token: Any | None = None) -> None:
        self.client = client
        self.contract = contract
        self._token = token  # a TokenClient, resolved lazily to avoid an import cycle

    @classmethod
    def at(cls: type[T], client: ChainClient, address: str) -> T:
        """The task at `address` (fails if no contract code lives there)."""
        return cls(client, client.contract_at(cls.ARTIFACT, address))

    @property
    def address(self) -> str:
        return str(self.contract.address)

    @property
    def token(self) -> Any:
        """The task's TokenClient."""
        if self._token is None:
            from fedledger.chain.token import TokenClient

            self._token = TokenClient.at(self.client, self.client.call(self.contract.functions.token()))
        return self._token

    @property
    def fn(self) -> Any:
        """Raw contract functions, for batching with `ChainClient.send` + `wait_all`."""
        return self.contract.functions
