"""`/ws/events`: the hello message, then an event mined after connecting, decoded to JSON."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from fedledger.api import create_app
from fedledger.api.events import event_message
from tests.api.conftest import TOKEN, World, build_world


@pytest.fixture
def fresh_world() -> World:
    return build_world()


def _next_event(ws: Any, name: str, limit: int = 50) -> dict[str, Any]:
    for _ in range(limit):
        message = ws.receive_json()
        assert message["type"] != "error", message
        if message["type"] == "event" and message["event"] == name:
            return message  # type: ignore[no-any-return]
    raise AssertionError(f"no {name} event in {limit} messages")


def test_event_emitted_after_connecting_is_pushed(fresh_world: World) -> None:
    w = fresh_world
    app = create_app(w.client, w.stack.factory.address, poll_interval_s=0.05)
    with TestClient(app) as client, client.websocket_connect("/ws/events") as ws:
        hello = ws.receive_json()
        assert hello == {"type": "hello", "block": w.client.block_number()}
        proposers = w.task.round_info(1).proposers
        proposer = next(m for m in w.members if m.address == proposers[0])
        w.task.submit_update(1, 0, b"\x33" * 32, 77, proposer)
        event = _next_event(ws, "UpdateSubmitted")
    assert event["contract"] == w.task.address and event["contract_kind"] == "alliance"
    assert event["block"] > hello["block"]
    assert event["args"] == {"round": 1, "proposerIndex": 0, "proposer": proposer.address,
                             "updateHash": "0x" + "33" * 32, "numSamples": 77}


def test_from_block_replays_history_in_chain_order(fresh_world: World) -> None:
    w = fresh_world
    app = create_app(w.client, w.stack.factory.address, poll_interval_s=0.05)
    with TestClient(app) as client, client.websocket_connect("/ws/events?from_block=0") as ws:
        assert ws.receive_json()["type"] == "hello"
        created = _next_event(ws, "AllianceTaskCreated")
        joined = _next_event(ws, "Joined")
    assert created["contract_kind"] == "factory" and created["args"]["task"] == w.task.address
    assert joined["args"]["stake"] == 2 * TOKEN and joined["block"] >= created["block"]


def test_stream_without_a_chain_says_so(tmp_path: Any) -> None:
    from tests.api.test_report import write_minimal_report

    app = create_app(report_path=write_minimal_report(tmp_path))
    with TestClient(app) as client, client.websocket_connect("/ws/events") as ws:
        assert ws.receive_json() == {"type": "error", "detail": "no chain configured"}


def test_event_message_hexes_bytes_in_nested_args() -> None:
    raw = {"transactionHash": b"\xab" * 32, "address": "0xA", "event": "RoundStarted", "blockNumber": 3, "logIndex": 1,
           "args": {"seed": b"\x01" * 32, "proposers": ["0xB"], "round": 2}}
    msg = event_message(raw, "alliance")
    assert msg["tx"] == "0x" + "ab" * 32
    assert msg["args"] == {"seed": "0x" + "01" * 32, "proposers": ["0xB"], "round": 2}
