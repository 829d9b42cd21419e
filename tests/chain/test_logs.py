"""Reading logs on a long chain: from a task's creation on, in windows a node accepts."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from fedledger.chain import ChainClient
from fedledger.chain.alliance import AllianceTaskClient

from tests.contracts.alliance_harness import deploy_stack

MAX_RANGE = 4


def _transfers(client: ChainClient, count: int) -> tuple[Any, int]:
    """A fresh token and `count` transfers, one block each; returns (token, first block)."""
    owner = client.dev_accounts()[0]
    token = client.deploy("FMLToken", owner.address, sender=owner)
    client.transact(token.functions.mint(owner.address, 10**24), owner)
    start = client.block_number() + 1
    for i in range(count):
        client.transact(token.functions.transfer(owner.address, i + 1), owner)
    return token, start


def test_first_block_at_finds_the_first_block_at_or_after_a_timestamp(chain_client: ChainClient) -> None:
    stamps = []
    for _ in range(5):
        chain_client.advance_time(100)
        chain_client.mine()
        block = chain_client.w3.eth.get_block("latest")
        stamps.append((int(block["number"]), int(block["timestamp"])))
    for number, stamp in stamps:
        first = chain_client.first_block_at(stamp)
        assert first <= number
        assert int(chain_client.w3.eth.get_block(first)["timestamp"]) >= stamp
        assert first == 0 or int(chain_client.w3.eth.get_block(first - 1)["timestamp"]) < stamp
    assert chain_client.first_block_at(0) == 0
    assert chain_client.first_block_at(stamps[-1][1] + 10**6) == chain_client.block_number()


def test_logs_of_several_contracts_come_decoded_in_chain_order(chain_client: ChainClient) -> None:
    owner = chain_client.dev_accounts()[0]
    first, start = _transfers(chain_client, 2)
    second, _ = _transfers(chain_client, 2)
    chain_client.transact(first.functions.approve(owner.address, 5), owner)
    unrelated, _ = _transfers(chain_client, 1)
    found = chain_client.logs([first, second], from_block=start)
    per_name = [
        e for c in (first, second) for n in {i["name"] for i in c.abi if i.get("type") == "event"}
        for e in chain_client.events(c, n, from_block=start)
    ]
    assert found == sorted(per_name, key=lambda e: (e["blockNumber"], e["logIndex"]))
    moves = [(e["address"], e["event"], e["args"]["value"]) for e in found if e["event"] in ("Transfer", "Approval")]
    assert moves == [
        (first.address, "Transfer", 1), (first.address, "Transfer", 2),
        (second.address, "Transfer", 10**24), (second.address, "Transfer", 1), (second.address, "Transfer", 2),
        (first.address, "Approval", 5),
    ]
    assert all(e["address"] != unrelated.address for e in found)


def test_a_task_reads_its_events_from_its_creation_on() -> None:
    stack = deploy_stack(ChainClient.embedded())
    client = stack.client
    client.advance_time(1000)
    client.mine(5)
    creator, *members = stack.people(4)
    task = AllianceTaskClient(client, stack.create_task(creator))
    stack.join_all(task.contract, members, [10**18] * 3)
    (initialized,) = client.events(task.contract, "TaskInitialized")
    assert 5 < task.first_block() <= int(initialized["blockNumber"])
    assert task.events("Joined") == task.events("Joined", from_block=0)
    assert [e["args"]["participant"] for e in task.events("Joined")] == [m.address for m in members]


class _RangeLimitedProxy(BaseHTTPRequestHandler):
    """Forwards JSON-RPC to the real node, but refuses `eth_getLogs` over more than MAX_RANGE
    blocks the way hosted providers do (an error response, not a dropped connection)."""

    upstream = ""
    refused = 0
    spans: list[int] = []
    """block spans of the eth_getLogs requests answered"""

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = json.loads(body)
        if isinstance(request, dict) and request.get("method") == "eth_getLogs":
            query = request["params"][0]
            span = int(query["toBlock"], 16) - int(query["fromBlock"], 16) + 1
            if span > MAX_RANGE:
                type(self).refused += 1
                self._reply({"jsonrpc": "2.0", "id": request["id"],
                             "error": {"code": -32005, "message": f"query exceeds max block range {MAX_RANGE}"}})
                return
            self.spans.append(span)
        answer = requests.post(self.upstream, data=body, headers={"Content-Type": "application/json"}, timeout=30)
        self._reply(answer.json())

    def _reply(self, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def limited(anvil_client: ChainClient) -> Iterator[tuple[str, type[_RangeLimitedProxy]]]:
    """(URL, handler class) of a range-limited proxy in front of the test's anvil node."""
    handler = type("Handler", (_RangeLimitedProxy,), {"upstream": anvil_client.endpoint, "refused": 0, "spans": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.integration
def test_events_are_read_in_windows_on_a_node(limited: tuple[str, type[_RangeLimitedProxy]]) -> None:
    url, proxy = limited
    client = ChainClient.connect(url)
    token, start = _transfers(client, 9)
    client.log_window = 2
    found = client.events(token, "Transfer", from_block=start)
    assert [e["args"]["value"] for e in found] == list(range(1, 10))
    assert proxy.spans and max(proxy.spans) == 2 and proxy.refused == 0
    assert [e["args"]["value"] for e in client.events(token, "Transfer", from_block=start, to_block=start + 2)] == [1, 2, 3]


@pytest.mark.integration
def test_logs_of_several_contracts_take_one_request_per_window(limited: tuple[str, type[_RangeLimitedProxy]]) -> None:
    url, proxy = limited
    client = ChainClient.connect(url)
    first, start = _transfers(client, 3)
    second, _ = _transfers(client, 3)
    end = client.block_number()
    client.log_window = 4
    found = client.logs([first, second], from_block=start, to_block=end)
    assert len([e for e in found if e["event"] == "Transfer"]) == 7  # 3 + the second token's mint + 3
    span = end - start + 1
    assert proxy.spans == [4] * (span // 4) + ([span % 4] if span % 4 else [])


@pytest.mark.integration
def test_a_node_that_refuses_wide_log_ranges_gets_narrower_requests(
    limited: tuple[str, type[_RangeLimitedProxy]],
) -> None:
    url, proxy = limited
    client = ChainClient.connect(url)
    token, start = _transfers(client, 11)
    found = client.events(token, "Transfer", from_block=start)
    assert [e["args"]["value"] for e in found] == list(range(1, 12))
    assert proxy.refused >= 1 and client.log_window <= MAX_RANGE
    refused = proxy.refused
    assert client.events(token, "Transfer", from_block=start) == found
    assert proxy.refused == refused  # the narrower window is kept
