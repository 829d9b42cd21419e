"""AllianceLedger: lifecycle rules and token conservation of the pure model."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fedledger.core.errors import ValidationError
from fedledger.protocol import (
    AllianceLedger,
    LedgerStatus,
    LedgerViolation,
    ProposerEntry,
    SettlementRules,
    VoterEntry,
)

RULES = SettlementRules(
    rounds=2,
    proposer_share_bps=5000,
    proposer_slash_bps=5000,
    voter_slash_bps=1000,
    absent_slash_bps=2000,
    finalizer_bonus_bps=50,
    stake_required=10,
)
CREATOR = "0x" + "c0" * 20
P = [f"0x{i:040x}" for i in range(1, 6)]


def _ledger(max_participants: int = 4) -> AllianceLedger:
    return AllianceLedger(
        RULES, creator=CREATOR, reward_pool=1000, min_participants=3,
        max_participants=max_participants,
    )


def test_join_rules() -> None:
    led = _ledger()
    with pytest.raises(LedgerViolation) as low:
        led.join(P[0], 9)
    assert low.value.rule == "stake_too_low"
    for p in P[:4]:
        led.join(p, 10)
    with pytest.raises(LedgerViolation) as dup:
        led.join(P[0], 10)
    assert dup.value.rule == "already_joined"
    with pytest.raises(LedgerViolation) as full:
        led.join(P[4], 10)
    assert full.value.rule == "full"
    assert led.deposits == 1040 and led.held == 1040


def test_full_lifecycle_conserves_tokens() -> None:
    led = _ledger()
    led.join(P[0], 10)
    with pytest.raises(LedgerViolation) as few:
        led.start_round()
    assert few.value.rule == "not_enough_participants"
    for p in P[1:3]:
        led.join(p, 20)
    assert led.start_round() == 0 and led.status == LedgerStatus.TRAINING
    with pytest.raises(LedgerViolation):
        led.join(P[4], 10)
    # Every participant votes, the proposer too (its own bit does not count for its update).
    voters = [VoterEntry(P[0], True, 1, b"\x01" * 32), VoterEntry(P[1], True, 1, b"\x01" * 32), VoterEntry(P[2], False)]
    r0 = led.finalize([ProposerEntry(P[0], True, 5, b"\x05" * 32)], voters, caller=P[4])
    led.check_conservation()
    assert led.global_hash == b"\x01" * 32 and led.accepted_proposals == {r0.accepted_addresses[0]: 1}
    assert r0.majority_voters == tuple(led.participants[:2])  # the accepted proposer earns a voter reward too
    assert led.majority_votes == {led.participants[0]: 1, led.participants[1]: 1}
    with pytest.raises(LedgerViolation):
        led.withdraw(P[0])
    led.start_round()
    led.finalize(
        [ProposerEntry(P[1], False)],
        [VoterEntry(P[0], False), VoterEntry(P[1], False), VoterEntry(P[2], False)],
        caller=P[0],
    )
    assert led.status == LedgerStatus.FINISHED and led.pool == 0
    led.check_conservation()
    total = sum(led.withdraw(a) for a in [*led.participants, CREATOR, P[4]])
    assert total == led.deposits and led.held == 0
    with pytest.raises(LedgerViolation) as again:
        led.withdraw(P[0])
    assert again.value.rule == "already_withdrawn"
    led.check_conservation()


def test_close_refunds_pool_and_abandons_round() -> None:
    led = _ledger()
    for p in P[:3]:
        led.join(p, 10)
    led.start_round()
    assert led.close() == 1000 and led.status == LedgerStatus.CLOSED
    assert led.claimable == {led.creator: 1000}
    with pytest.raises(LedgerViolation):
        led.close()
    assert led.withdraw(CREATOR) == 1000
    led.check_conservation()


def test_constructor_validates() -> None:
    with pytest.raises(ValidationError, match="reward_pool"):
        AllianceLedger(RULES, creator=CREATOR, reward_pool=0, min_participants=3, max_participants=3)
    with pytest.raises(ValidationError, match="min_participants"):
        AllianceLedger(RULES, creator=CREATOR, reward_pool=1, min_participants=4, max_participants=3)


@settings(max_examples=60, deadline=None)
@given(
    stakes=st.lists(st.integers(1, 10**24), min_size=3, max_size=12),
    pool=st.integers(1, 10**27),
    acts=st.lists(
        st.tuples(st.booleans(), st.integers(0, 7), st.integers(1, 10**6), st.integers(0, 2), st.booleans()),
        min_size=12, max_size=12,
    ),
    bps=st.tuples(*(st.integers(0, 10_000) for _ in range(4)), st.integers(0, 100), st.integers(0, 50)),
    rounds=st.integers(1, 3),
)
def test_random_rounds_conserve_tokens(stakes, pool, acts, bps, rounds) -> None:  # type: ignore[no-untyped-def]
    rules = SettlementRules(rounds, bps[0], bps[1], bps[2], bps[3], bps[4], stake_required=1, sample_cap=bps[5])
    parts = [f"0x{i + 1:040x}" for i in range(len(stakes))]
    led = AllianceLedger(rules, creator=CREATOR, reward_pool=pool, min_participants=3,
                         max_participants=12)
    for p, s in zip(parts, stakes, strict=True):
        led.join(p, s)
    for r in range(rounds):
        led.start_round()
        active = [i for i, p in enumerate(led.participants) if p not in led.ejected]
        assert len(active) >= 2, "ejection must leave a proposer and a voter"
        k = max(1, len(active) // 3)
        props = [ProposerEntry(parts[i], acts[i][0], acts[i][2], b"\x01" * 32) for i in active[:k]]
        # Every active participant votes; a proposer reveals (acts[i][4]) independently of submitting.
        vots = [
            VoterEntry(parts[i], acts[i][4] if j < k else acts[i][0], acts[i][1], bytes([acts[i][3]]) * 32)
            for j, i in enumerate(active)
        ]
        before = dict(led.stakes)
        result = led.finalize(props, vots, caller=parts[r % len(parts)])
        led.check_conservation()
        for p in result.ejected_addresses:  # ejected only by a stake below half of the required one
            assert led.stakes[p] * 2 < rules.stake_required and (p in result.slashes or before[p] * 2 < rules.stake_required)
    assert led.status == LedgerStatus.FINISHED and led.pool == 0
    for a in {*led.participants, led.creator, "0x" + "ee" * 20}:
        if a not in led.stakes and led.claimable.get(a, 0) == 0:
            with pytest.raises(LedgerViolation) as nothing:
                led.withdraw(a)
            assert nothing.value.rule == "nothing_to_withdraw"
        else:
            led.withdraw(a)
    assert led.held == 0 and led.total_withdrawn == led.deposits
