"""What the Alliance and Arena task wrappers share: a clone's contract handle and its token."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, TypeVar

from web3.contract import Contract
from web3.types import EventData

from fedledger.chain.client import ChainClient

T = TypeVar("T", bound="TaskContractClient")


class TaskContractClient(ABC):
    """One task clone; subclasses name their artifact and add typed transactions and views."""

    ARTIFACT: ClassVar[str]

    def __init__(self, client: ChainClient, contract: Contract, token: Any | None = None) -> None:
        self.client = client
        self.contract = contract
        self._token = token  # a TokenClient, resolved lazily to avoid an import cycle
        self._first_block: int | None = None

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

    @abstractmethod
    def created_at(self) -> int:
        """The timestamp of the block that created (initialised) this task."""

    def first_block(self) -> int:
        """A block at or before this task's creation: where its events start (looked up once)."""
        if self._first_block is None:
            self._first_block = self.client.first_block_at(self.created_at())
        return self._first_block

    def events(self, name: str, from_block: int | None = None, **filters: Any) -> list[EventData]:
        """Decoded `name` events of this task, filtered by indexed arguments; by default from
        the task's creation on (not from the genesis: a long public chain's log range)."""
        start = self.first_block() if from_block is None else from_block
        return self.client.events(self.contract, name, from_block=start, argument_filters=filters or None)
