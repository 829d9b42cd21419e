"""What every Arena role that follows a task shares: its handles, the lazily fetched spec, and
the hook through which a simulation accounts the gas of each transaction."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fedledger.chain.arena import ArenaTaskClient
from fedledger.learning.spec import TaskSpec
from fedledger.node.arena.artifacts import fetch_spec
from fedledger.storage.base import BlobStore

TxHook = Callable[[str, str, Any], None]
"""`on_tx(address, function_name, receipt)`: lets a simulation account gas per function."""


class ArenaActor:
    """An account taking part in one Arena task (a trainer or a validator)."""

    def __init__(
        self,
        task: ArenaTaskClient,
        store: BlobStore,
        account: Any,
        state_dir: Path | str,
        *,
        withdraw_when_done: bool,
        on_tx: TxHook | None,
    ) -> None:
        self.task = task
        self.store = store
        self.account = account
        self.address: str = account.address
        self.withdraw_when_done = withdraw_when_done
        self.on_tx = on_tx
        self.state_dir = Path(state_dir) / task.address.lower()
        self._spec: TaskSpec | None = None
        self.done = False

    @property
    def spec(self) -> TaskSpec:
        """The task spec, fetched by its on-chain hash and verified, once."""
        if self._spec is None:
            self._spec = fetch_spec(self.store, self.task.config().spec_hash)
        return self._spec

    def _tx(self, name: str, call: Callable[[], Any]) -> Any:
        """Send one transaction via `call` and report its receipt to the hook."""
        receipt = call()
        if self.on_tx is not None:
            self.on_tx(self.address, name, receipt)
        return receipt
