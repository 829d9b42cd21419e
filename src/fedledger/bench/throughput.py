"""Transaction throughput: naive web3.py versus `ChainClient`, on the embedded EVM and on anvil.

Both sides send the same state-changing call (an FMLToken `transfer`) in the same run on the
same chain:

* naive: `contract.functions.transfer(...).transact({"from": acct})` with a node-managed
  account (the node fills gas, fees and nonce), then `wait_for_transaction_receipt`;
* client `send`: signed locally, fixed gas, nonces tracked locally so all txs are in flight
  at once (one RPC each), receipts collected in bulk by `wait_all`;
* client `send_many`: the same, but the signed txs go to the node in JSON-RPC batches.

The three run interleaved in chunks on one chain, so load on the machine affects all alike.
`speedup` (the headline, checked against the targets) is send_many over naive.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fedledger.bench.output import write_result
from fedledger.chain.anvil import AnvilNode
from fedledger.chain.client import ChainClient

TRANSFER_GAS = 80_000
ROUNDS = 4


def _naive(client: ChainClient, token: Any, sender: str, to: str, n_tx: int) -> float:
    w3 = client.w3
    start = time.perf_counter()
    for _ in range(n_tx):
        tx_hash = token.functions.transfer(to, 1).transact({"from": sender})
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
        assert receipt["status"] == 1
    return time.perf_counter() - start


def _send_loop(client: ChainClient, token: Any, sender: Any, to: str, n_tx: int) -> float:
    """Our client, one `send` (one RPC) per tx, all in flight, receipts in bulk."""
    start = time.perf_counter()
    hashes = [client.send(token.functions.transfer(to, 1), sender, gas=TRANSFER_GAS) for _ in range(n_tx)]
    receipts = client.wait_all(hashes)
    elapsed = time.perf_counter() - start
    assert len(receipts) == n_tx and all(r["status"] == 1 for r in receipts)
    return elapsed


def _send_many(client: ChainClient, token: Any, sender: Any, to: str, n_tx: int) -> float:
    """Our client, raw txs submitted in JSON-RPC batches, receipts in bulk."""
    start = time.perf_counter()
    hashes = client.send_many([token.functions.transfer(to, 1) for _ in range(n_tx)], sender, gas=TRANSFER_GAS)
    receipts = client.wait_all(hashes)
    elapsed = time.perf_counter() - start
    assert len(receipts) == n_tx and all(r["status"] == 1 for r in receipts)
    return elapsed


def _measure(client: ChainClient, n_tx: int, rounds: int = ROUNDS) -> dict[str, float]:
    """Interleave the three ways in `rounds` chunks so machine-load drift hits all alike."""
    owner, naive_sender = client.dev_accounts()[:2]
    token = client.deploy("FMLToken", owner.address, sender=owner)
    client.transact(token.functions.mint(owner.address, 10**24), owner)
    client.transact(token.functions.mint(naive_sender.address, 10**24), owner)
    receiver = client.new_account(eth_wei=0).address
    ways = {
        "naive": lambda k: _naive(client, token, naive_sender.address, receiver, k),
        "send_loop": lambda k: _send_loop(client, token, owner, receiver, k),
        "send_many": lambda k: _send_many(client, token, owner, receiver, k),
    }
    for way in ways.values():  # warm-up: lazily built web3 internals, caches, connections
        way(2)
    chunks = [n_tx // rounds + (1 if i < n_tx % rounds else 0) for i in range(rounds)]
    seconds = dict.fromkeys(ways, 0.0)
    for k in (c for c in chunks if c):
        for name, way in ways.items():
            seconds[name] += way(k)
    tps = {name: n_tx / s for name, s in seconds.items()}
    return {
        "naive_tx_per_s": tps["naive"],
        "send_loop_tx_per_s": tps["send_loop"],
        "send_many_tx_per_s": tps["send_many"],
        "speedup_send_loop": tps["send_loop"] / tps["naive"],
        "speedup": tps["send_many"] / tps["naive"],
    }


def run_throughput(n_tx: int = 200, out: Path | None = None) -> dict[str, Any]:
    """Measure tx/s of both ways on both backends; print a table and write JSON to `out`."""
    if n_tx < 1:
        raise ValueError(f"n_tx must be >= 1, got {n_tx}")
    results: dict[str, Any] = {"n_tx": n_tx, "call": "FMLToken.transfer", "targets": {"embedded": 2.0, "anvil": 4.0}}
    results["embedded"] = _measure(ChainClient.embedded(), n_tx)
    with AnvilNode() as node:
        results["anvil"] = _measure(ChainClient.connect(node.url), n_tx)
    for backend in ("embedded", "anvil"):
        results[backend]["meets_target"] = results[backend]["speedup"] >= results["targets"][backend]
    _print_table(results)
    write_result(out, results)
    return results


def _print_table(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Throughput, {results['n_tx']} x {results['call']}")
    for column in ("backend", "naive web3.py tx/s", "client send tx/s", "client send_many tx/s", "speedup (send / send_many)", "target"):
        table.add_column(column, justify="right")
    for backend in ("embedded", "anvil"):
        row = results[backend]
        table.add_row(
            backend,
            f"{row['naive_tx_per_s']:.1f}",
            f"{row['send_loop_tx_per_s']:.1f}",
            f"{row['send_many_tx_per_s']:.1f}",
            f"{row['speedup_send_loop']:.2f}x / {row['speedup']:.2f}x",
            f">= {results['targets'][backend]:.0f}x {'ok' if row['meets_target'] else 'MISSED'}",
        )
    Console().print(table)


if __name__ == "__main__":  # pragma: no cover - manual run
    run_throughput()
