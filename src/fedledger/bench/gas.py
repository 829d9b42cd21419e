"""Gas cost of an honest AllianceTask round, per transaction kind and per participant.

Why: the contract's storage layout was designed for targets of <= 150k gas per participant
per round and <= 40k gas of `finalizeRound` per participant; this bench measures both on the
embedded chain for several task sizes. Every proposer submits, every voter commits and
reveals an accept-all vote with the same aggregate hash. Transactions are sent in batches
with a fixed gas limit (no per-transaction estimate) and their receipts' `gasUsed` recorded.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from statistics import mean
from typing import Any

from rich.console import Console
from rich.table import Table

from fedledger.bench.output import write_result
from fedledger.chain import ChainClient
from fedledger.chain.alliance import AllianceTaskClient, vote_commitment
from fedledger.chain.factory import deploy_stack
from fedledger.core.errors import ValidationError
from fedledger.core.records import AllianceConfig

TX_GAS = 3_000_000
FINALIZE_GAS = 15_000_000
STAKE = 10**18
KINDS = ("join", "startRound", "submitUpdate", "commitVote", "revealVote", "finalizeRound")
TARGET_PER_PARTICIPANT_ROUND = 150_000
TARGET_FINALIZE_PER_PARTICIPANT = 40_000


def _send_all(client: ChainClient, calls: list[tuple[Any, Any]], gas: int = TX_GAS) -> list[int]:
    hashes = [client.send(fn, sender, gas=gas) for fn, sender in calls]
    return [int(r["gasUsed"]) for r in client.wait_all(hashes)]


def measure(n: int, rounds: int = 2) -> dict[str, Any]:
    """Run `rounds` honest rounds with `n` participants; return gas per kind and per participant."""
    if n < 3:
        raise ValidationError(f"an AllianceTask needs at least 3 participants, got n={n}")
    client = ChainClient.embedded()
    owner = client.dev_accounts()[0]
    stack = deploy_stack(client, owner)
    stack.token.mint(owner.address, 10**24, owner)
    config = AllianceConfig(
        spec_hash=b"\x01" * 32,
        initial_model_hash=b"\x02" * 32,  # every round uses the full proposer ratio
        reward_pool=10**21,
        stake_required=STAKE,
        max_participants=n,
        rounds=rounds,
    )
    task: AllianceTaskClient = stack.factory.create_alliance_task(config, owner)
    accounts = [client.new_account(eth_wei=10**20) for _ in range(n)]
    token_fn = stack.token.contract.functions
    _send_all(client, [(token_fn.mint(a.address, STAKE), owner) for a in accounts])
    _send_all(client, [(token_fn.approve(task.address, STAKE), a) for a in accounts])
    gas: dict[str, list[int]] = {k: [] for k in KINDS}
    gas["join"] = _send_all(client, [(task.fn.join(STAKE), a) for a in accounts])
    by_address = {a.address: a for a in accounts}
    per_round: list[dict[str, int]] = []
    for r in range(rounds):
        start = _send_all(client, [(task.fn.startRound(), owner)], gas=FINALIZE_GAS)
        info = task.round_info(r)
        voters = accounts  # every participant votes, proposers too
        submit = _send_all(
            client,
            [
                (task.fn.submitUpdate(r, i, os.urandom(32), 100 + i), by_address[p])
                for i, p in enumerate(info.proposers)
            ],
        )
        full = (1 << info.proposer_count) - 1
        aggregate = os.urandom(32)
        salts = {v.address: os.urandom(32) for v in voters}
        commit = _send_all(
            client,
            [
                (task.fn.commitVote(r, vote_commitment(r, v.address, full, aggregate, salts[v.address])), v)
                for v in voters
            ],
        )
        reveal = _send_all(client, [(task.fn.revealVote(r, full, aggregate, salts[v.address]), v) for v in voters])
        final = _send_all(client, [(task.fn.finalizeRound(r), owner)], gas=FINALIZE_GAS)
        gas["startRound"] += start
        gas["submitUpdate"] += submit
        gas["commitVote"] += commit
        gas["revealVote"] += reveal
        gas["finalizeRound"] += final
        total = sum(start) + sum(submit) + sum(commit) + sum(reveal) + sum(final)
        per_round.append({"round": r, "proposers": info.proposer_count, "total": total})
    return {
        "n": n,
        "rounds": rounds,
        "mean_gas": {k: round(mean(v)) for k, v in gas.items()},
        "max_gas": {k: max(v) for k, v in gas.items()},
        "per_round": per_round,
        "per_participant_per_round": round(mean(pr["total"] for pr in per_round) / n),
        "finalize_per_participant": round(mean(gas["finalizeRound"]) / n),
    }


def run_gas(sizes: Sequence[int] = (10, 50, 100), out: Path | None = None, rounds: int = 2) -> dict[str, Any]:
    """Measure every size in `sizes`, print a table, write JSON to `out` when given."""
    results = [measure(n, rounds=rounds) for n in sizes]
    report: dict[str, Any] = {
        "bench": "gas",
        "rounds": rounds,
        "targets": {
            "per_participant_per_round": TARGET_PER_PARTICIPANT_ROUND,
            "finalize_per_participant": TARGET_FINALIZE_PER_PARTICIPANT,
        },
        "results": results,
    }
    table = Table(title=f"AllianceTask gas (honest rounds, mean over {rounds} rounds)")
    table.add_column("n", justify="right")
    for kind in KINDS:
        table.add_column(kind, justify="right")
    table.add_column("per participant·round", justify="right")
    table.add_column("finalize / participant", justify="right")
    for res in results:
        table.add_row(
            str(res["n"]),
            *(f"{res['mean_gas'][k]:,}" for k in KINDS),
            f"{res['per_participant_per_round']:,}",
            f"{res['finalize_per_participant']:,}",
        )
    Console(width=200).print(table)
    write_result(out, report, sort_keys=True)
    return report
