"""Hand-computed Alliance settlements (docs/alliance-protocol.md, "Finalization")."""

from __future__ import annotations

import pytest

from fedledger.core.errors import ValidationError
from fedledger.core.types import ZERO_DIGEST
from fedledger.protocol import ProposerEntry, SettlementRules, VoterEntry, settle_round

A, B, C, D, E = (f"0x{i:040x}" for i in range(0xA1, 0xA6))
# Addresses stay lower-case on purpose: the mirror normalises them to EIP-55.
H1, H2, G0 = b"\x11" * 32, b"\x22" * 32, b"\x99" * 32
RULES = SettlementRules(
    rounds=2,
    proposer_share_bps=6000,
    proposer_slash_bps=5000,
    voter_slash_bps=2000,
    absent_slash_bps=1000,
    finalizer_bonus_bps=100,
    stake_required=100,
    sample_cap=0,
)
STAKES = {A: 100, B: 200, C: 300, D: 100, E: 50}


def _cs(addr: str) -> str:
    from eth_utils import to_checksum_address

    return str(to_checksum_address(addr))


def _settle(rules: SettlementRules = RULES, **kw: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = dict(round_index=0, pool=1000, stakes=STAKES, global_hash=G0, caller=E)
    args.update(kw)
    return settle_round(rules, **args)  # type: ignore[arg-type]


def test_two_accepted_proposers_dust_and_minority_slash() -> None:
    res = _settle(
        proposers=[ProposerEntry(A, True, 10, H1), ProposerEntry(B, True, 30, H2)],
        voters=[VoterEntry(C, True, 0b11, H1), VoterEntry(D, True, 0b01, H1), VoterEntry(E, True, 0b11, H2)],
    )
    # roundReward 1000//2 = 500; bonus 5; distributable 495; proposer 297; voter 198.
    assert (res.round_reward, res.bonus, res.proposer_budget, res.voter_budget) == (500, 5, 297, 198)
    assert res.accepted == (0, 1) and res.rejected == ()
    assert res.outcome_bitmap == 0b11
    assert res.winning_hash == H1 and res.new_global_hash == H1
    assert res.majority_voters == (_cs(C),)
    # A: 297*10//40 = 74, B: 297*30//40 = 222 (dust 1), C: 198; E gets the finalizer bonus.
    assert dict(res.rewards) == {_cs(A): 74, _cs(B): 222, _cs(C): 198, _cs(E): 5}
    # D and E revealed but are not majority voters: 20 % of 100 and of 50.
    assert dict(res.slashes) == {_cs(D): 20, _cs(E): 10}
    assert res.new_pool == 500 + 1 + 30
    assert dict(res.new_stakes) == {_cs(A): 100, _cs(B): 200, _cs(C): 300, _cs(D): 80, _cs(E): 40}
    assert not res.finished and res.refund == 0
    before = sum(STAKES.values()) + 1000
    assert sum(res.new_stakes.values()) + res.new_pool + res.total_rewards == before


def test_tie_is_neither_and_the_rejecting_voter_matches() -> None:
    stakes = {A: 100, B: 100, C: 100}
    res = _settle(
        stakes=stakes,
        caller=A,
        proposers=[ProposerEntry(A, True, 5, H1)],
        voters=[VoterEntry(B, True, 0b1, H1), VoterEntry(C, True, 0b0, H2)],
    )
    assert res.accepted == () and res.rejected == ()
    assert res.outcome_bitmap == 0
    # Only C's bitmap (masked) equals the empty outcome, so C is the majority.
    assert res.majority_voters == (_cs(C),) and res.new_global_hash == H2
    # 500 -> bonus 5, distributable 495, proposer 297 unpaid, voter 198 to C.
    assert dict(res.rewards) == {_cs(A): 5, _cs(C): 198}
    assert dict(res.slashes) == {_cs(B): 20}  # proposer A was neither: no slash
    assert res.new_pool == 500 + 297 + 20


def test_rejected_proposer_is_slashed() -> None:
    stakes = {A: 100, B: 100, C: 300, D: 100}
    res = _settle(
        stakes=stakes,
        caller=D,
        proposers=[ProposerEntry(A, True, 5, H1), ProposerEntry(B, True, 5, H1)],
        voters=[VoterEntry(C, True, 0b10, H2), VoterEntry(D, True, 0b11, H1)],
    )
    assert res.accepted == (1,) and res.rejected == (0,)
    assert res.accepted_addresses == (_cs(B),) and res.rejected_addresses == (_cs(A),)
    assert res.majority_voters == (_cs(C),)
    assert dict(res.rewards) == {_cs(B): 297, _cs(C): 198, _cs(D): 5}
    assert dict(res.slashes) == {_cs(A): 50, _cs(D): 20}


def test_no_votes_returns_budgets_and_slashes_absent_voters() -> None:
    res = _settle(
        proposers=[ProposerEntry(A, True, 10, H1), ProposerEntry(B, False)],
        voters=[VoterEntry(C, False), VoterEntry(D, False), VoterEntry(E, False)],
    )
    assert res.accepted == () and res.rejected == () and res.majority_voters == ()
    assert res.winning_hash is None and res.new_global_hash == G0
    assert dict(res.rewards) == {_cs(E): 5}
    # B did not submit, C/D/E did not reveal: absent 10 %; A (tie, no voters) untouched.
    assert dict(res.slashes) == {_cs(B): 20, _cs(C): 30, _cs(D): 10, _cs(E): 5}
    assert res.new_pool == 500 + 495 + 65


def test_all_absent_round() -> None:
    res = _settle(
        caller=_cs("0x" + "77" * 20),
        proposers=[ProposerEntry(A, False), ProposerEntry(B, False)],
        voters=[VoterEntry(C, False), VoterEntry(D, False), VoterEntry(E, False)],
    )
    assert res.outcome_bitmap == 0 and res.majority_voters == ()
    assert dict(res.rewards) == {_cs("0x" + "77" * 20): 5}  # an outside finalizer still earns the bonus
    assert sum(res.slashes.values()) == 10 + 20 + 30 + 10 + 5
    assert res.new_pool == 1000 - 5 + 75


def test_revealed_voters_with_no_submissions_all_match() -> None:
    # With no submitted proposer every masked bitmap is 0 == outcome, so all revealed voters match.
    res = _settle(
        proposers=[ProposerEntry(A, False), ProposerEntry(B, False)],
        voters=[VoterEntry(C, True, 0b11, G0), VoterEntry(D, True, 0, G0), VoterEntry(E, False)],
    )
    assert res.majority_voters == (_cs(C), _cs(D))
    # voter budget 198 by stake 300:100 -> 148 (148.5) and 49 (49.5); dust 1.
    assert res.rewards[_cs(C)] == 148 and res.rewards[_cs(D)] == 49
    assert res.new_pool == 500 + 297 + 1 + 10 + 20 + 5


def test_sample_cap_limits_proposer_weight() -> None:
    rules = SettlementRules(**{**RULES.__dict__, "sample_cap": 20})
    res = _settle(
        rules,
        proposers=[ProposerEntry(A, True, 10, H1), ProposerEntry(B, True, 1000, H2)],
        voters=[VoterEntry(C, True, 0b11, H1), VoterEntry(D, True, 0b11, H1), VoterEntry(E, True, 0b11, H1)],
    )
    # eff 10 and 20: 297*10//30 = 99, 297*20//30 = 198.
    assert res.rewards[_cs(A)] == 99 and res.rewards[_cs(B)] == 198
    # voters 300:100:50 of 198 -> 132, 44, 22; E also gets the bonus 5.
    assert (res.rewards[_cs(C)], res.rewards[_cs(D)], res.rewards[_cs(E)]) == (132, 44, 27)
    assert res.slashes == {} and res.new_pool == 500


def test_hash_tie_goes_to_first_in_participant_order() -> None:
    stakes = {A: 100, B: 100, C: 100, D: 100}
    # Voters given out of participant order: D (H2) before C (H1); equal stake -> C's H1 wins.
    res = _settle(
        stakes=stakes,
        caller=A,
        proposers=[ProposerEntry(B, True, 1, H1), ProposerEntry(A, True, 1, H1)],
        voters=[VoterEntry(D, True, 0b11, H2), VoterEntry(C, True, 0b11, H1)],
    )
    assert res.winning_hash == H1 and res.majority_voters == (_cs(C),)
    assert res.slashes == {_cs(D): 20}


def test_bits_of_unsubmitted_proposers_are_ignored() -> None:
    stakes = {A: 100, B: 100, C: 100, D: 100}
    res = _settle(
        stakes=stakes,
        caller=A,
        proposers=[ProposerEntry(A, True, 1, H1), ProposerEntry(B, False)],
        voters=[VoterEntry(C, True, 0b11 | (1 << 200), H1), VoterEntry(D, True, 0b01, H1)],
    )
    assert res.accepted == (0,) and res.majority_voters == (_cs(C), _cs(D))
    assert res.slashes == {_cs(B): 10}


def test_last_round_refunds_the_pool() -> None:
    res = _settle(
        round_index=1,
        pool=601,
        proposers=[ProposerEntry(A, True, 10, H1), ProposerEntry(B, False)],
        voters=[VoterEntry(C, True, 0b01, H1), VoterEntry(D, True, 0b01, H1), VoterEntry(E, True, 0b00, H2)],
    )
    # roundsLeft 1: everything is the round's reward; bonus 6; distributable 595; 357 / 238.
    assert (res.round_reward, res.bonus, res.proposer_budget, res.voter_budget) == (601, 6, 357, 238)
    assert res.rewards[_cs(A)] == 357 and res.rewards[_cs(C)] == 178 and res.rewards[_cs(D)] == 59
    assert res.finished and res.new_pool == 0
    assert res.refund == 1 + 20 + 10  # dust + B absent + E minority
    assert res.round_reward == res.total_rewards + 1


def test_zero_stake_majority_pays_nothing_instead_of_dividing_by_zero() -> None:
    stakes = {A: 100, B: 0, C: 0}
    res = _settle(
        stakes=stakes,
        caller=A,
        proposers=[ProposerEntry(A, True, 1, H1)],
        voters=[VoterEntry(B, True, 1, H1), VoterEntry(C, True, 1, H1)],
    )
    # accept 0 vs reject 0 is a tie; both match outcome 0? No: bit set, outcome 0 -> no match.
    assert res.accepted == () and res.majority_voters == ()
    assert dict(res.rewards) == {_cs(A): 5}
    res2 = _settle(
        stakes=stakes,
        caller=A,
        proposers=[ProposerEntry(A, True, 1, H1)],
        voters=[VoterEntry(B, True, 0, H1), VoterEntry(C, True, 0, H1)],
    )
    assert res2.majority_voters == (_cs(B), _cs(C)) and dict(res2.rewards) == {_cs(A): 5}
    assert res2.new_pool == 1000 - 5


@pytest.mark.parametrize(
    ("kw", "fragment"),
    [
        ({"round_index": 2}, "round index"),
        ({"pool": -1}, "pool"),
        ({"caller": "0x1234"}, "not an Ethereum address"),
        ({"global_hash": b"short"}, "32 bytes"),
        ({"proposers": [ProposerEntry(A, True, 0, H1), ProposerEntry(B, False)]}, "numSamples 0"),
        ({"proposers": [ProposerEntry(A, True, 1, H1)]}, "partition"),
        ({"proposers": [ProposerEntry(A, True, 1, H1), ProposerEntry(A, False)]}, "partition"),
        ({"voters": []}, "at least one proposer and one voter"),
        ({"stakes": {**STAKES, A: -5}}, "stake of"),
    ],
)
def test_bad_inputs_raise_validation_error(kw: dict[str, object], fragment: str) -> None:
    args: dict[str, object] = dict(
        proposers=[ProposerEntry(A, True, 1, H1), ProposerEntry(B, False)],
        voters=[VoterEntry(C, False), VoterEntry(D, False), VoterEntry(E, False)],
    )
    args.update(kw)
    with pytest.raises(ValidationError, match=fragment):
        _settle(**args)


@pytest.mark.parametrize(
    "field",
    ["proposer_share_bps", "proposer_slash_bps", "voter_slash_bps", "absent_slash_bps", "finalizer_bonus_bps"],
)
def test_rules_reject_out_of_range_bps(field: str) -> None:
    too_big = 101 if field == "finalizer_bonus_bps" else 10_001
    with pytest.raises(ValidationError, match=field):
        SettlementRules(**{**RULES.__dict__, field: too_big})


def test_rules_reject_zero_rounds_and_accept_config_objects() -> None:
    with pytest.raises(ValidationError, match="rounds"):
        SettlementRules(**{**RULES.__dict__, "rounds": 0})
    assert SettlementRules.from_config(RULES) == RULES
    with pytest.raises(ValidationError, match="lacks fields"):
        SettlementRules.from_config(object())


def test_zero_digest_default() -> None:
    assert ProposerEntry(A, False).update_hash == ZERO_DIGEST


def test_a_stake_below_half_the_required_one_is_ejected_and_ejected_ones_sit_out() -> None:
    # E (stake 50) proposes and is rejected: 50 % slash -> 25 < 100 / 2, ejected. A is rejected
    # too but keeps 50, exactly half: not below it, so it stays in the draw.
    res = _settle(
        proposers=[ProposerEntry(E, True, 10, H1), ProposerEntry(A, True, 10, H2)],
        voters=[VoterEntry(B, True, 0b00, G0), VoterEntry(C, True, 0b00, G0), VoterEntry(D, True, 0b00, G0)],
    )
    assert res.rejected_addresses == (_cs(E), _cs(A)) and res.new_stakes[_cs(A)] == 50
    assert res.ejected_addresses == (_cs(E),)
    # Next round E is out: neither proposer nor voter, untouched, not absent.
    nxt = _settle(
        round_index=1,
        stakes=dict(res.new_stakes),
        proposers=[ProposerEntry(A, False)],
        voters=[VoterEntry(B, True, 0, G0), VoterEntry(C, True, 0, G0), VoterEntry(D, True, 0, G0)],
        ejected=[E],
        caller=B,  # anyone may finalize, an ejected participant too (for the bonus)
    )
    assert _cs(E) not in nxt.slashes and _cs(E) not in nxt.rewards and _cs(E) not in nxt.absent_addresses
    assert nxt.new_stakes[_cs(E)] == 25 and nxt.ejected_addresses == (_cs(A),)  # A absent: 50 - 5 < 50
    with pytest.raises(ValidationError, match="partition"):  # an ejected participant cannot vote
        _settle(
            round_index=1, stakes=dict(res.new_stakes), proposers=[ProposerEntry(A, False)],
            voters=[VoterEntry(B, False), VoterEntry(C, False), VoterEntry(D, False), VoterEntry(E, False)], ejected=[E],
        )


def test_nobody_is_ejected_when_fewer_than_two_would_remain() -> None:
    rules = SettlementRules(**{**RULES.__dict__, "absent_slash_bps": 6000})
    res = _settle(
        rules,
        stakes={A: 100, B: 100, C: 100},
        proposers=[ProposerEntry(A, False)],
        voters=[VoterEntry(B, False), VoterEntry(C, True, 0, G0)],
    )
    assert res.absent_addresses == (_cs(A), _cs(B)) and res.new_stakes[_cs(A)] == 40
    assert res.ejected_addresses == ()


def test_rules_need_a_positive_stake_requirement() -> None:
    with pytest.raises(ValidationError, match="stake_required"):
        SettlementRules(**{**RULES.__dict__, "stake_required": 0})
