"""Each state change emits its event with the right arguments (checked against the mirror)."""

from __future__ import annotations

from web3.logs import DISCARD

from fedledger.chain import ChainClient
from fedledger.protocol import SLASH_ABSENT, SLASH_MINORITY_VOTER

from .alliance_harness import Act, assert_matches_ledger, deploy_stack, ledger_for, play_round


def _logs(contract, name, receipt):  # type: ignore[no-untyped-def]
    return [e["args"] for e in contract.events[name]().process_receipt(receipt, errors=DISCARD)]


def test_events_of_a_full_task() -> None:
    stack = deploy_stack(ChainClient.embedded())
    people = stack.people(7)
    creator, outsider, members = people[0], people[1], people[2:7]
    overrides = {"rounds": 1, "proposerRatioBps": 4000, "initialModelHash": b"\x42" * 32}
    task = stack.create_task(creator, **overrides)
    ledger = ledger_for(creator.address, **overrides)
    (init,) = stack.client.events(task, "TaskInitialized")
    assert init["args"]["creator"] == creator.address and init["args"]["rewardPool"] == 10**21
    stack.join_all(task, members, [10**18 * (i + 1) for i in range(5)])
    joined = stack.client.events(task, "Joined")
    assert [(e["args"]["participant"], e["args"]["stake"], e["args"]["index"]) for e in joined] == [
        (m.address, 10**18 * (i + 1), i) for i, m in enumerate(members)
    ]
    for i, m in enumerate(members):
        ledger.join(m.address, 10**18 * (i + 1))
    by = {m.address: m for m in members}
    good, bad = b"\x01" * 32, b"\x02" * 32
    # Both proposers submit and vote too, revealing `good`; of the three others, voter 0 reveals
    # `good`, voter 1 commits but never reveals (absent), voter 2 reveals `bad` (minority).
    # Everyone accepts both proposers.
    def plan(addr: str, is_proposer: bool, pos: int) -> Act:
        if is_proposer:
            return Act(num_samples=10 + pos, accept_bitmap=0b11, aggregate_hash=good, salt=bytes([10 + pos]) * 32)
        return Act(accept_bitmap=0b11, aggregate_hash=bad if pos == 2 else good, reveal=pos != 1, salt=bytes([pos]) * 32)

    start_block = stack.client.block_number() + 1
    settlement, receipt = play_round(stack, task, ledger, by, plan, outsider, 4000)
    started = stack.client.events(task, "RoundStarted", from_block=start_block)
    assert len(started) == 1 and started[0]["args"]["round"] == 0
    assert len(stack.client.events(task, "UpdateSubmitted", from_block=start_block)) == 2
    assert len(stack.client.events(task, "VoteCommitted", from_block=start_block)) == 5  # all five vote
    revealed = stack.client.events(task, "VoteRevealed", from_block=start_block)
    assert len(revealed) == 4 and all(e["args"]["acceptBitmap"] == 0b11 for e in revealed)
    proposers = list(stack.client.call(task.functions.roundInfo(0))[4])
    assert set(proposers) <= {e["args"]["voter"] for e in revealed}
    # `good` has three voters (any three of the stakes 1..5 outweigh the one `bad` voter's stake).
    assert settlement.accepted == (0, 1) and settlement.new_global_hash == good
    assert set(proposers) <= set(settlement.majority_voters) and len(settlement.majority_voters) == 3
    (fin,) = _logs(task, "RoundFinalized", receipt)
    assert fin["finalizer"] == outsider.address and fin["outcomeBitmap"] == settlement.outcome_bitmap
    assert fin["globalModelHash"] == settlement.new_global_hash and fin["roundReward"] == settlement.round_reward
    assert fin["finalizerBonus"] == settlement.bonus and fin["returnedToPool"] == settlement.unpaid
    rewarded = {e["account"]: e["amount"] for e in _logs(task, "Rewarded", receipt)}
    assert rewarded == dict(settlement.rewards)
    slashed = {e["account"]: (e["amount"], e["reason"]) for e in _logs(task, "Slashed", receipt)}
    assert slashed == {a: (settlement.slashes[a], settlement.slash_reasons[a]) for a in settlement.slashes}
    assert sorted(r for _, r in slashed.values()) == [SLASH_MINORITY_VOTER, SLASH_ABSENT]
    (finished,) = _logs(task, "TaskFinished", receipt)
    assert finished["refund"] == settlement.refund
    assert_matches_ledger(stack, task, ledger, extra=[outsider.address, creator.address])
    for acct in [*members, creator, outsider]:
        amount = ledger.withdraw(acct.address)
        r = stack.tx(task.functions.withdraw(), acct)
        (w,) = _logs(task, "Withdrawn", r)
        assert (w["account"], w["amount"]) == (acct.address, amount)
        recs = _logs(stack.factory, "ParticipationRecorded", r)
        assert len(recs) == (1 if acct in members else 0)
        if acct.address in proposers:  # an accepted proposer that voted with the majority counts both
            assert (recs[0]["acceptedProposals"], recs[0]["majorityVotes"]) == (1, 1)
    assert stack.client.call(stack.token.functions.balanceOf(task.address)) == 0
    ledger.check_conservation()

