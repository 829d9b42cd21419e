"""The contract and `fedledger.protocol.settle_round` agree exactly on random rounds.

Each example creates a task on the embedded EVM with random size, stakes and rates, plays
1-3 rounds with random submissions, votes, bitmaps, aggregate hashes and absences, and after
every `finalizeRound` compares stakes, claimables, pool, global hash, outcome, ejections and the
task's token balance with the pure ledger (which settles with `settle_round`).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from fedledger.chain import ChainClient

from .alliance_harness import Act, Stack, assert_matches_ledger, deploy_stack, ledger_for, play_round

# Each example is seconds of EVM work; shrinking would take minutes, so failures print the
# full example (every draw is labelled) instead of a shrunk one.
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)
HASHES = [bytes([h]) * 32 for h in (0x01, 0x02, 0x03)]


@pytest.fixture(scope="module")
def stack() -> Stack:
    """One deployment shared by all examples; every example creates its own task."""
    s = deploy_stack(ChainClient.embedded())
    s.people(14)
    return s


def _configs() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "rewardPool": st.integers(1, 10**24),
            "stakeRequired": st.integers(1, 10**18),
            "rounds": st.integers(1, 3),
            "proposerRatioBps": st.integers(1, 9999),
            "proposerShareBps": st.integers(0, 10_000),
            "proposerSlashBps": st.integers(0, 10_000),
            "voterSlashBps": st.integers(0, 10_000),
            "absentSlashBps": st.integers(0, 10_000),
            "finalizerBonusBps": st.integers(0, 100),
            "sampleCap": st.sampled_from([0, 1, 50, 10**6]),
            "initialModelHash": st.sampled_from([b"\x00" * 32, b"\x77" * 32]),
        }
    )


def _act(k_max: int) -> st.SearchStrategy[Act]:
    return st.builds(
        Act,
        submit=st.booleans() | st.just(True),
        num_samples=st.integers(1, 2000),
        update_hash=st.just(b"\xab" * 32),
        commit=st.booleans() | st.just(True),
        reveal=st.booleans() | st.just(True),
        accept_bitmap=st.integers(0, 2 ** (k_max + 1) - 1),
        aggregate_hash=st.sampled_from(HASHES),
        salt=st.binary(min_size=32, max_size=32),
    )


def _run(stack: Stack, data: st.DataObject) -> None:
    cfg = data.draw(_configs(), label="config")
    n = data.draw(st.integers(3, 12), label="n")
    req = cfg["stakeRequired"]
    # Stakes near the required one make ejections (stake below half of it) reachable by round 1.
    stake = st.just(req) | st.integers(req, 2 * req) | st.integers(req, 20 * req)
    stakes = data.draw(st.lists(stake, min_size=n, max_size=n))
    people = stack.people(14)
    creator, outsider, members = people[0], people[1], people[2 : 2 + n]
    task = stack.create_task(creator, maxParticipants=12, **cfg)
    ledger = ledger_for(creator.address, maxParticipants=12, **cfg)
    stack.join_all(task, members, stakes)
    for m, s in zip(members, stakes, strict=True):
        ledger.join(m.address, s)
    by_address = {m.address: m for m in members}
    for _ in range(cfg["rounds"]):
        acts = {m.address: data.draw(_act(n), label="act") for m in members}
        finalizer = data.draw(st.sampled_from([outsider, creator, *members]), label="finalizer")
        play_round(stack, task, ledger, by_address, acts, finalizer, cfg["proposerRatioBps"])
        assert_matches_ledger(stack, task, ledger, extra=[outsider.address, creator.address])


@settings(max_examples=12, deadline=None, phases=NO_SHRINK, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_contract_equals_mirror_on_random_rounds(stack: Stack, data: st.DataObject) -> None:
    _run(stack, data)


@pytest.mark.slow
@settings(max_examples=80, deadline=None, phases=NO_SHRINK, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_contract_equals_mirror_on_random_rounds_large(stack: Stack, data: st.DataObject) -> None:
    _run(stack, data)
