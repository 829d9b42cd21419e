"""`EventPoller`: new contract events of a factory and all its tasks, as JSON messages.

Why polling `eth_getLogs`: it works against every node (the embedded EVM, anvil, HTTP-only
gateways) where log subscriptions do not. One poll asks for the head block first and reads
logs only when a block was mined since the last poll, so an idle chain costs one call a poll;
the logs of the factory and every task come in one `eth_getLogs` (per window of blocks).
"""

from __future__ import annotations

from typing import Any

from fedledger.api.chainview import ChainView

#: Contract kind -> artifact whose events the poller decodes.
ARTIFACTS = {"factory": "TaskFactory", "alliance": "AllianceTask", "arena": "ArenaTask"}


def to_json_value(value: Any) -> Any:
    """Event arguments as JSON: bytes to 0x-hex, containers recursively, ints and strings unchanged."""
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): to_json_value(v) for k, v in value.items()}
    return value


def event_message(event: Any, kind: str) -> dict[str, Any]:
    """One decoded log as the message `/ws/events` sends."""
    tx = event["transactionHash"]
    return {
        "type": "event",
        "contract": str(event["address"]),
        "contract_kind": kind,
        "event": str(event["event"]),
        "block": int(event["blockNumber"]),
        "log_index": int(event["logIndex"]),
        "tx": "0x" + bytes(tx).hex() if isinstance(tx, (bytes, bytearray)) else str(tx),
        "args": to_json_value(event["args"]),
    }


class EventPoller:
    """Remembers the last block it read; each `poll()` returns the events mined since, in chain order."""

    def __init__(self, view: ChainView, from_block: int) -> None:
        if from_block < 0:
            raise ValueError(f"from_block must be >= 0, got {from_block}")
        self.view = view
        self.next_block = from_block
        self._tasks: dict[str, tuple[Any, str]] = {}
        """task address -> (contract handle, "alliance" | "arena"): neither ever changes, so each
        task's kind and code are asked for once, not on every poll"""

    def poll(self) -> list[dict[str, Any]]:
        view = self.view
        with view.lock:
            head = view.client.block_number()
            if head < self.next_block:
                return []
            contracts = {str(view.factory.contract.address): (view.factory.contract, "factory")}
            for address in view.factory.tasks():
                if address not in self._tasks:
                    kind = "arena" if view.factory.is_arena_task(address) else "alliance"
                    self._tasks[address] = (view.client.contract_at(ARTIFACTS[kind], address), kind)
                contract, kind = self._tasks[address]
                contracts[str(contract.address)] = (contract, kind)
            events = view.client.logs([c for c, _ in contracts.values()], from_block=self.next_block, to_block=head)
            self.next_block = head + 1
        return [event_message(event, contracts[str(event["address"])][1]) for event in events]
