"""A participant whose stake falls below half of `stakeRequired` leaves the draw for good.

A caught attacker otherwise keeps its share of the proposer slots round after round (each such
round aggregates fewer honest updates) and keeps voting. Ejected participants have no role: no
reward, no slash (not even for absence), no vote; `k` is drawn from the others; they withdraw
what is left at the end. `play_round` checks every draw against `fedledger.protocol.draw_roles`
and `assert_matches_ledger` checks `isEjected` against the mirror.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3.logs import DISCARD

from fedledger.chain import ChainClient
from fedledger.chain.alliance import AllianceTaskClient
from fedledger.core.records import Role
from fedledger.protocol import AllianceLedger

from .alliance_harness import (
    Act,
    Stack,
    assert_matches_ledger,
    deploy_stack,
    expect_revert,
    ledger_for,
    play_round,
)

STAKE = 10**18


def _task(
    stakes: list[int], rounds: int, **cfg: Any
) -> tuple[Stack, Any, AllianceLedger, LocalAccount, list[LocalAccount]]:
    stack = deploy_stack(ChainClient.embedded())
    people = stack.people(len(stakes) + 1)
    creator, joined = people[0], people[1:]
    cfg = {"rounds": rounds, "initialModelHash": b"\x11" * 32, "proposerSlashBps": 6000, **cfg}
    task = stack.create_task(creator, **cfg)
    ledger = ledger_for(creator.address, **cfg)
    stack.join_all(task, joined, stakes)
    for m, s in zip(joined, stakes, strict=True):
        ledger.join(m.address, s)
    return stack, task, ledger, creator, joined


def test_a_rejected_proposer_below_half_the_stake_sits_out_the_rest_of_the_task() -> None:
    stack, task, ledger, creator, members = _task([STAKE] * 8, rounds=4, proposerRatioBps=5000)  # k = 4 of 8
    by_address = {m.address: m for m in members}
    call = stack.client.call

    # Round 0: every voter (the proposers too) rejects proposer 0; its own vote does not count for
    # its update, the seven others do. A 60 % slash leaves 0.4 of the required stake.
    settlement, receipt = play_round(stack, task, ledger, by_address, lambda a, p, i: Act(accept_bitmap=0b1110), creator, 5000)
    (cheat,) = settlement.rejected_addresses
    assert settlement.accepted == (1, 2, 3) and settlement.slash_reasons == {cheat: 1}  # slashed once, for its update
    assert settlement.ejected_addresses == (cheat,) and ledger.ejected == (cheat,)
    (event,) = task.events.Ejected().process_receipt(receipt, errors=DISCARD)
    assert (event["args"]["round"], event["args"]["account"], event["args"]["stake"]) == (0, cheat, STAKE * 4 // 10)
    assert call(task.functions.isEjected(cheat)) and call(task.functions.roleOf(0, cheat)) == Role.PROPOSER
    client = AllianceTaskClient(stack.client, task)
    assert client.settlement(receipt).ejected == (cheat,) and client.is_ejected(cheat)
    assert client.role_of(0, cheat) is Role.PROPOSER
    stake_left = ledger.stakes[cheat]

    # Round 1: k = ceil(8 * 50 %) proposers from the seven others, and all seven vote (proposers
    # too); the round closes as soon as those seven revealed (play_round finalizes without
    # waiting for a deadline).
    settlement, _ = play_round(stack, task, ledger, by_address, lambda a, p, i: Act(accept_bitmap=0b1111), creator, 5000)
    info = client.round_info(1)
    assert info.proposer_count == 4 and cheat not in info.proposers and info.voter_count == 7
    assert len(settlement.majority_voters) == 7 and cheat not in settlement.majority_voters
    assert client.role_of(1, cheat) is Role.EJECTED
    assert cheat not in settlement.slashes and cheat not in settlement.rewards and cheat not in settlement.absent_addresses

    # Round 2: it cannot vote either; the error says why.
    stack.tx(task.functions.startRound(), creator)
    ledger.start_round()
    with expect_revert("AllianceTaskEjected", cheat):
        stack.tx(task.functions.commitVote(2, b"\x77" * 32), by_address[cheat])
    assert ledger.stakes[cheat] == stake_left
    assert_matches_ledger(stack, task, ledger, extra=[creator.address])


@pytest.mark.parametrize(("members", "ratio_bps", "ejected", "next_voters"), [(3, 3000, False, 3), (4, 2500, True, 2)])
def test_ejection_goes_ahead_only_if_two_participants_remain(
    members: int, ratio_bps: int, ejected: bool, next_voters: int
) -> None:
    # k = 1: the proposer submits nothing (nor votes) and one other voter reveals nothing; a 60 %
    # absence slash (once each) takes both below half of the required stake. With three
    # participants that would leave one in the draw, so neither is ejected; with four, two remain
    # and both are. Every participant left in the draw votes in the next round.
    stack, task, ledger, creator, joined = _task([STAKE] * members, rounds=3, proposerRatioBps=ratio_bps, absentSlashBps=6000)
    by_address = {m.address: m for m in joined}
    absent = Act(submit=False, commit=False, reveal=False)

    first, _ = play_round(stack, task, ledger, by_address, lambda a, p, i: absent if p or i == 0 else Act(), creator, ratio_bps)
    assert len(first.absent_addresses) == 2 and all(ledger.stakes[a] * 2 < STAKE for a in first.absent_addresses)
    assert dict(first.slashes) == {a: STAKE * 6 // 10 for a in first.absent_addresses}  # one slash each
    assert first.ejected_addresses == (first.absent_addresses if ejected else ())
    for m in joined:
        assert stack.client.call(task.functions.isEjected(m.address)) == (ejected and m.address in first.absent_addresses)
    second, _ = play_round(stack, task, ledger, by_address, lambda a, p, i: Act(accept_bitmap=1), creator, ratio_bps)
    info = stack.client.call(task.functions.roundInfo(1))
    assert len(info[4]) == 1 and info[11] == next_voters and second.accepted == (0,)
    assert_matches_ledger(stack, task, ledger, extra=[creator.address])
