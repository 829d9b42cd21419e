"""Participants that miss their role are drawn as proposers only after everyone else.

A proposer slot held by a participant who is not there is a round with one update fewer (the
no-show attack of the attack matrix); the draw therefore ranks last round's absentees after the
participants who acted, and `missedLastRound` exposes the flag. `play_round` also checks every
draw against `fedledger.protocol.draw_roles`, so the mirror follows the same rule.
"""

from __future__ import annotations

from typing import Any

from eth_account.signers.local import LocalAccount

from fedledger.chain import ChainClient
from fedledger.protocol import AllianceLedger

from .alliance_harness import Act, Stack, assert_matches_ledger, deploy_stack, ledger_for, play_round

ABSENT = Act(submit=False, commit=False, reveal=False)


def _task(members: int, rounds: int) -> tuple[Stack, Any, AllianceLedger, LocalAccount, list[LocalAccount]]:
    """A task with an initial model (no pioneer round) and k = members / 2, everyone joined."""
    stack = deploy_stack(ChainClient.embedded())
    people = stack.people(members + 1)
    creator, joined = people[0], people[1 : members + 1]
    cfg = {"rounds": rounds, "proposerRatioBps": 5000, "initialModelHash": b"\x11" * 32}
    task = stack.create_task(creator, **cfg)
    ledger = ledger_for(creator.address, **cfg)
    stack.join_all(task, joined, [10**18] * members)
    for m in joined:
        ledger.join(m.address, 10**18)
    return stack, task, ledger, creator, joined


def test_absentees_are_drawn_last_and_return_once_they_act() -> None:
    stack, task, ledger, creator, members = _task(8, rounds=5)  # k = 4 of 8
    by_address = {m.address: m for m in members}
    no_shows = {m.address for m in members[:3]}
    missed = task.functions.missedLastRound

    def plan(absent: set[str]):  # type: ignore[no-untyped-def]
        return lambda addr, is_proposer, i: ABSENT if addr in absent else Act(accept_bitmap=0b1111)

    # Round 0: the three no-shows miss whatever role they drew.
    play_round(stack, task, ledger, by_address, plan(no_shows), creator, 5000)
    assert set(ledger.missed_last_round) == no_shows
    for m in members:
        assert stack.client.call(missed(m.address)) == (m.address in no_shows)
    assert not stack.client.call(missed(creator.address))  # not a participant

    # Rounds 1-2: five others acted, so all four proposer slots go to participants who are there.
    for _ in range(2):
        settlement, _ = play_round(stack, task, ledger, by_address, plan(no_shows), creator, 5000)
        assert not set(settlement.accepted_addresses) & no_shows
        proposers = stack.client.call(task.functions.roundInfo(settlement.round_index))[4]
        assert len(proposers) == 4 and not set(proposers) & no_shows

    # Round 3: one no-show comes back and votes; it is no longer flagged afterwards.
    returning = members[0].address
    play_round(stack, task, ledger, by_address, plan(no_shows - {returning}), creator, 5000)
    assert stack.client.call(missed(returning)) is False
    assert set(ledger.missed_last_round) == no_shows - {returning}
    assert_matches_ledger(stack, task, ledger, extra=[creator.address])


def test_absentees_fill_the_proposer_slots_others_cannot() -> None:
    stack, task, ledger, creator, members = _task(6, rounds=2)  # k = 3 of 6
    by_address = {m.address: m for m in members}
    absent = {m.address for m in members[:5]}  # only one participant acts in round 0
    play_round(stack, task, ledger, by_address, {a: ABSENT if a in absent else Act() for a in by_address}, creator, 5000)
    settlement, _ = play_round(stack, task, ledger, by_address, {a: Act() for a in by_address}, creator, 5000)
    proposers = stack.client.call(task.functions.roundInfo(settlement.round_index))[4]
    assert len(proposers) == 3
    assert proposers[0] == members[5].address  # the one who acted comes first
    assert set(proposers[1:]) <= absent
    assert_matches_ledger(stack, task, ledger, extra=[creator.address])
