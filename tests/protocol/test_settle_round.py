"""Hand-computed Alliance settlements (docs/alliance-protocol.md, "Finalization").

Every participant that is not ejected votes, proposers included; a proposer's bit on its own
update is left out of that update's tally but its vote is matched against the outcome in full.
"""

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
# With pool 1000 in round 0 of 2: roundReward 500, bonus 5, distributable 495, proposer budget
# 495 * 60 % = 297, voter budget 198 (unless a test says otherwise).


def _cs(addr: str) -> str:
    from eth_utils import to_checksum_address

    return str(to_checksum_address(addr))


def _silent(*addrs: str) -> list[VoterEntry]:
    """Voters that revealed nothing."""
    return [VoterEntry(a, False) for a in addrs]


def _settle(rules: SettlementRules = RULES, **kw: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = dict(round_index=0, pool=1000, stakes=STAKES, global_hash=G0, caller=E)
    args.update(kw)
    return settle_round(rules, **args)  # type: ignore[arg-type]


def test_two_accepted_proposers_dust_and_minority_slash() -> None:
    res = _settle(
        proposers=[ProposerEntry(A, True, 10, H1), ProposerEntry(B, True, 30, H2)],
        voters=[
            VoterEntry(A, True, 0b11, H1),
            VoterEntry(B, True, 0b11, H1),
            VoterEntry(C, True, 0b11, H1),
            VoterEntry(D, True, 0b01, H1),
            VoterEntry(E, True, 0b11, H2),
        ],
    )
    # roundReward 1000//2 = 500; bonus 5; distributable 495; proposer 297; voter 198.
    assert (res.round_reward, res.bonus, res.proposer_budget, res.voter_budget) == (500, 5, 297, 198)
    # A (without its own vote): accept B+C+D+E = 650 vs 0. B (without its own): accept
    # A+C+E = 450 vs reject D = 100.
    assert res.accepted == (0, 1) and res.rejected == ()
    assert res.outcome_bitmap == 0b11
    # Matching: A, B, C (H1, 600) and E (H2, 50); D's 0b01 does not match.
    assert res.winning_hash == H1 and res.new_global_hash == H1
    assert res.majority_voters == (_cs(A), _cs(B), _cs(C))
    # Proposers: A 297*10//40 = 74, B 297*30//40 = 222 (dust 1).
    # Voters by stake 100:200:300 of 600: A 33, B 66, C 99 (no dust). E gets the finalizer bonus.
    assert dict(res.rewards) == {_cs(A): 74 + 33, _cs(B): 222 + 66, _cs(C): 99, _cs(E): 5}
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
        # A foresees the tie: its own bit is 0, like the outcome's.
        voters=[VoterEntry(A, True, 0b0, H2), VoterEntry(B, True, 0b1, H1), VoterEntry(C, True, 0b0, H2)],
    )
    # A's own vote is left out: accept B 100 vs reject C 100, a tie.
    assert res.accepted == () and res.rejected == ()
    assert res.outcome_bitmap == 0
    # A's and C's bitmaps (masked) equal the empty outcome: they are the majority (H2, 200).
    assert res.majority_voters == (_cs(A), _cs(C)) and res.new_global_hash == H2
    # 500 -> bonus 5, distributable 495, proposer 297 unpaid, voter 198 split 99 / 99.
    assert dict(res.rewards) == {_cs(A): 5 + 99, _cs(C): 99}
    assert dict(res.slashes) == {_cs(B): 20}  # proposer A was neither: no slash
    assert res.new_pool == 500 + 297 + 20


def test_rejected_proposer_is_slashed() -> None:
    stakes = {A: 100, B: 100, C: 300, D: 100}
    res = _settle(
        stakes=stakes,
        caller=D,
        proposers=[ProposerEntry(A, True, 5, H1), ProposerEntry(B, True, 5, H1)],
        voters=[
            VoterEntry(A, True, 0b10, H2),  # A foresees its own rejection
            VoterEntry(B, True, 0b10, H2),
            VoterEntry(C, True, 0b10, H2),
            VoterEntry(D, True, 0b11, H1),
        ],
    )
    # A (without its own vote): reject B+C = 400 vs accept D = 100. B (without its own):
    # accept A+C+D = 500 vs 0.
    assert res.accepted == (1,) and res.rejected == (0,)
    assert res.accepted_addresses == (_cs(B),) and res.rejected_addresses == (_cs(A),)
    assert res.majority_voters == (_cs(A), _cs(B), _cs(C))
    # Voters 198 by 100:100:300 of 500: 39 (39.6), 39, 118 (118.8), dust 2; B's update takes all 297.
    assert dict(res.rewards) == {_cs(A): 39, _cs(B): 297 + 39, _cs(C): 118, _cs(D): 5}
    # A's vote was in the majority, yet its update was rejected: 50 % of 100.
    assert dict(res.slashes) == {_cs(A): 50, _cs(D): 20}
    assert dict(res.slash_reasons) == {_cs(A): 1, _cs(D): 2}
    assert res.new_pool == 500 + 2 + 70


def test_no_votes_returns_budgets_and_slashes_absent_voters() -> None:
    res = _settle(
        proposers=[ProposerEntry(A, True, 10, H1), ProposerEntry(B, False)],
        voters=_silent(A, B, C, D, E),
    )
    assert res.accepted == () and res.rejected == () and res.majority_voters == ()
    assert res.winning_hash is None and res.new_global_hash == G0
    assert dict(res.rewards) == {_cs(E): 5}
    # Nobody revealed: absent 10 % each, once. B did not submit either (still 10 % of 200);
    # A's update is a tie (no votes), but A did not reveal its vote.
    assert dict(res.slashes) == {_cs(A): 10, _cs(B): 20, _cs(C): 30, _cs(D): 10, _cs(E): 5}
    assert res.absent_addresses == (_cs(A), _cs(B), _cs(C), _cs(D), _cs(E))
    assert res.new_pool == 500 + 495 + 75


def test_all_absent_round() -> None:
    res = _settle(
        caller=_cs("0x" + "77" * 20),
        proposers=[ProposerEntry(A, False), ProposerEntry(B, False)],
        voters=_silent(A, B, C, D, E),
    )
    assert res.outcome_bitmap == 0 and res.majority_voters == ()
    assert dict(res.rewards) == {_cs("0x" + "77" * 20): 5}  # an outside finalizer still earns the bonus
    # Each absent once, though A and B missed both their update and their vote.
    assert sum(res.slashes.values()) == 10 + 20 + 30 + 10 + 5
    assert res.new_pool == 1000 - 5 + 75


def test_revealed_voters_with_no_submissions_all_match() -> None:
    # With no submitted proposer every masked bitmap is 0 == outcome, so all revealed voters match.
    res = _settle(
        proposers=[ProposerEntry(A, False), ProposerEntry(B, False)],
        voters=[*_silent(A, B), VoterEntry(C, True, 0b11, G0), VoterEntry(D, True, 0, G0), VoterEntry(E, False)],
    )
    assert res.majority_voters == (_cs(C), _cs(D))
    # voter budget 198 by stake 300:100 -> 148 (148.5) and 49 (49.5); dust 1.
    assert res.rewards[_cs(C)] == 148 and res.rewards[_cs(D)] == 49
    # Absent: A 10, B 20 (once each), E 5.
    assert res.new_pool == 500 + 297 + 1 + 10 + 20 + 5


def test_sample_cap_limits_proposer_weight() -> None:
    rules = SettlementRules(**{**RULES.__dict__, "sample_cap": 20})
    res = _settle(
        rules,
        proposers=[ProposerEntry(A, True, 10, H1), ProposerEntry(B, True, 1000, H2)],
        voters=[VoterEntry(v, True, 0b11, H1) for v in (A, B, C, D, E)],
    )
    # eff 10 and 20: 297*10//30 = 99, 297*20//30 = 198.
    # Voters 100:200:300:100:50 of 750 share 198: 26 (26.4), 52 (52.8), 79 (79.2), 26, 13 (13.2);
    # dust 2. E also gets the bonus 5.
    assert res.rewards[_cs(A)] == 99 + 26 and res.rewards[_cs(B)] == 198 + 52
    assert (res.rewards[_cs(C)], res.rewards[_cs(D)], res.rewards[_cs(E)]) == (79, 26, 13 + 5)
    assert res.slashes == {} and res.new_pool == 500 + 2


def test_hash_tie_goes_to_first_in_participant_order() -> None:
    stakes = {A: 100, B: 100, C: 100, D: 100}
    # Voters given out of participant order, D (H2) first; equal stake, H1 (A, C) 200 vs H2 (B, D)
    # 200 -> the hash seen first in participant order, A's H1, wins.
    res = _settle(
        stakes=stakes,
        caller=A,
        proposers=[ProposerEntry(B, True, 1, H1), ProposerEntry(A, True, 1, H1)],
        voters=[
            VoterEntry(D, True, 0b11, H2),
            VoterEntry(B, True, 0b11, H2),
            VoterEntry(C, True, 0b11, H1),
            VoterEntry(A, True, 0b11, H1),
        ],
    )
    assert res.accepted == (0, 1)
    assert res.winning_hash == H1 and res.majority_voters == (_cs(A), _cs(C))
    # B's update was accepted, so its vote is judged like D's: minority, 20 % of 100.
    assert res.slashes == {_cs(B): 20, _cs(D): 20}


def test_bits_of_unsubmitted_proposers_are_ignored() -> None:
    stakes = {A: 100, B: 100, C: 100, D: 100}
    res = _settle(
        stakes=stakes,
        caller=A,
        proposers=[ProposerEntry(A, True, 1, H1), ProposerEntry(B, False)],
        voters=[
            VoterEntry(A, True, 0b11, H1),  # bit 1 (B, unsubmitted) set
            VoterEntry(B, False),
            VoterEntry(C, True, 0b11 | (1 << 200), H1),
            VoterEntry(D, True, 0b01, H1),
        ],
    )
    assert res.accepted == (0,) and res.majority_voters == (_cs(A), _cs(C), _cs(D))
    assert res.slashes == {_cs(B): 10}  # B absent, once
    assert res.absent_addresses == (_cs(B),)


def test_last_round_refunds_the_pool() -> None:
    res = _settle(
        round_index=1,
        pool=601,
        proposers=[ProposerEntry(A, True, 10, H1), ProposerEntry(B, False)],
        voters=[
            VoterEntry(A, True, 0b01, H1),
            VoterEntry(B, False),
            VoterEntry(C, True, 0b01, H1),
            VoterEntry(D, True, 0b01, H1),
            VoterEntry(E, True, 0b00, H2),
        ],
    )
    # roundsLeft 1: everything is the round's reward; bonus 6; distributable 595; 357 / 238.
    assert (res.round_reward, res.bonus, res.proposer_budget, res.voter_budget) == (601, 6, 357, 238)
    # Majority A, C, D (stake 500): 238*100//500 = 47, 238*300//500 = 142, 47; dust 2.
    assert res.rewards[_cs(A)] == 357 + 47 and res.rewards[_cs(C)] == 142 and res.rewards[_cs(D)] == 47
    assert res.finished and res.new_pool == 0
    assert res.refund == 2 + 20 + 10  # dust + B absent + E minority
    assert res.round_reward == res.total_rewards + 2


def test_zero_stake_majority_pays_nothing_instead_of_dividing_by_zero() -> None:
    stakes = {A: 100, B: 0, C: 0}
    res = _settle(
        stakes=stakes,
        caller=A,
        proposers=[ProposerEntry(A, True, 1, H1)],
        voters=[VoterEntry(A, True, 1, H1), VoterEntry(B, True, 1, H1), VoterEntry(C, True, 1, H1)],
    )
    # A's own accept is left out: accept 0 vs reject 0 is a tie, outcome 0; every bitmap has
    # bit 0 set, so nobody matches.
    assert res.accepted == () and res.majority_voters == ()
    assert dict(res.rewards) == {_cs(A): 5}
    res2 = _settle(
        stakes=stakes,
        caller=A,
        proposers=[ProposerEntry(A, True, 1, H1)],
        voters=[VoterEntry(A, True, 1, H1), VoterEntry(B, True, 0, H1), VoterEntry(C, True, 0, H1)],
    )
    # B and C match with stake 0: the voter budget stays unpaid. A (neither accepted nor
    # rejected) is a minority voter: 20 % of 100.
    assert res2.majority_voters == (_cs(B), _cs(C)) and dict(res2.rewards) == {_cs(A): 5}
    assert dict(res2.slashes) == {_cs(A): 20}
    assert res2.new_pool == 1000 - 5 + 20


@pytest.mark.parametrize(
    ("kw", "fragment"),
    [
        ({"round_index": 2}, "round index"),
        ({"pool": -1}, "pool"),
        ({"caller": "0x1234"}, "not an Ethereum address"),
        ({"global_hash": b"short"}, "32 bytes"),
        ({"proposers": [ProposerEntry(A, True, 0, H1), ProposerEntry(B, False)]}, "numSamples 0"),
        ({"voters": _silent(A, B, C, D)}, "partition"),  # E has no role
        ({"voters": _silent(A, A, B, C, D, E)}, "partition"),  # A votes twice
        ({"proposers": [ProposerEntry(A, True, 1, H1), ProposerEntry(A, False)]}, "distinct"),
        ({"proposers": [ProposerEntry(A, True, 1, H1), ProposerEntry("0x" + "77" * 20, False)]}, "distinct"),
        ({"voters": []}, "at least one proposer and one voter"),
        ({"stakes": {**STAKES, A: -5}}, "stake of"),
    ],
)
def test_bad_inputs_raise_validation_error(kw: dict[str, object], fragment: str) -> None:
    args: dict[str, object] = dict(
        proposers=[ProposerEntry(A, True, 1, H1), ProposerEntry(B, False)],
        voters=_silent(A, B, C, D, E),
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
        voters=[VoterEntry(v, True, 0b00, G0) for v in (A, B, C, D, E)],
    )
    assert res.rejected_addresses == (_cs(E), _cs(A)) and res.new_stakes[_cs(A)] == 50
    assert res.ejected_addresses == (_cs(E),)
    # Next round E is out: neither proposer nor voter, untouched, not absent.
    nxt = _settle(
        round_index=1,
        stakes=dict(res.new_stakes),
        proposers=[ProposerEntry(A, False)],
        voters=[VoterEntry(A, False), *(VoterEntry(v, True, 0, G0) for v in (B, C, D))],
        ejected=[E],
        caller=B,  # anyone may finalize, an ejected participant too (for the bonus)
    )
    assert _cs(E) not in nxt.slashes and _cs(E) not in nxt.rewards and _cs(E) not in nxt.absent_addresses
    # A absent (no update, no vote), slashed once: 50 - 5 = 45 < 50.
    assert nxt.new_stakes[_cs(E)] == 25 and nxt.new_stakes[_cs(A)] == 45 and nxt.ejected_addresses == (_cs(A),)
    with pytest.raises(ValidationError, match="partition"):  # an ejected participant cannot vote
        _settle(
            round_index=1, stakes=dict(res.new_stakes), proposers=[ProposerEntry(A, False)],
            voters=_silent(A, B, C, D, E), ejected=[E],
        )


def test_nobody_is_ejected_when_fewer_than_two_would_remain() -> None:
    rules = SettlementRules(**{**RULES.__dict__, "absent_slash_bps": 6000})
    res = _settle(
        rules,
        stakes={A: 100, B: 100, C: 100},
        proposers=[ProposerEntry(A, False)],
        voters=[VoterEntry(A, False), VoterEntry(B, False), VoterEntry(C, True, 0, G0)],
    )
    assert res.absent_addresses == (_cs(A), _cs(B)) and res.new_stakes[_cs(A)] == 40
    assert res.ejected_addresses == ()


def test_rules_need_a_positive_stake_requirement() -> None:
    with pytest.raises(ValidationError, match="stake_required"):
        SettlementRules(**{**RULES.__dict__, "stake_required": 0})


# --- Every participant votes, proposers included -------------------------------------------


def test_proposers_must_be_listed_among_the_voters() -> None:
    # The old split (proposers and voters disjoint) no longer partitions the participants.
    with pytest.raises(ValidationError, match="partition"):
        _settle(
            proposers=[ProposerEntry(A, True, 10, H1), ProposerEntry(B, True, 10, H1)],
            voters=[VoterEntry(C, True, 0b11, H1), VoterEntry(D, True, 0b11, H1), VoterEntry(E, True, 0b11, H1)],
        )


def test_a_proposers_bit_on_its_own_update_does_not_count() -> None:
    stakes = {A: 300, B: 100, C: 100}
    res = _settle(
        stakes=stakes,
        caller=C,
        proposers=[ProposerEntry(A, True, 5, H1), ProposerEntry(B, True, 5, H1)],
        voters=[VoterEntry(A, True, 0b11, H1), VoterEntry(B, True, 0b10, H2), VoterEntry(C, True, 0b10, H2)],
    )
    # A: accept 0 (its own 300 left out) vs reject B+C = 200 -> rejected (counting its own bit
    # would make it 300 vs 200, accepted). B: accept A+C = 400 vs 0 -> accepted.
    assert res.accepted == (1,) and res.rejected == (0,)
    assert res.outcome_bitmap == 0b10
    assert res.majority_voters == (_cs(B), _cs(C)) and res.new_global_hash == H2
    # B: proposer 297 + voter 198*100//200 = 99; C: 99 + bonus 5.
    assert dict(res.rewards) == {_cs(B): 297 + 99, _cs(C): 99 + 5}
    assert dict(res.slashes) == {_cs(A): 150} and dict(res.slash_reasons) == {_cs(A): 1}
    assert res.new_pool == 500 + 150


def test_a_rejected_proposer_in_the_minority_is_slashed_once_as_a_rejected_proposer() -> None:
    stakes = {A: 100, B: 100, C: 100, D: 100}
    res = _settle(
        stakes=stakes,
        caller=D,
        proposers=[ProposerEntry(A, True, 5, H1), ProposerEntry(B, True, 5, H1)],
        voters=[
            VoterEntry(A, True, 0b11, H1),  # accepts itself: in the minority
            VoterEntry(B, True, 0b10, H2),
            VoterEntry(C, True, 0b10, H2),
            VoterEntry(D, True, 0b10, H2),
        ],
    )
    # A: reject B+C+D = 300 vs 0 -> rejected. B: accept A+C+D = 300 -> accepted.
    assert res.rejected_addresses == (_cs(A),) and res.accepted_addresses == (_cs(B),)
    assert res.majority_voters == (_cs(B), _cs(C), _cs(D))
    # One slash: 50 % of the pre-round 100, not 50 + 20 (minority vote) nor 50 + 10.
    assert dict(res.slashes) == {_cs(A): 50} and dict(res.slash_reasons) == {_cs(A): 1}
    assert res.new_stakes[_cs(A)] == 50
    # B: 297 + 198//3 = 66; C: 66; D: 66 + bonus 5; A nothing.
    assert dict(res.rewards) == {_cs(B): 297 + 66, _cs(C): 66, _cs(D): 66 + 5}
    assert res.new_pool == 500 + 50


def test_an_accepted_proposer_in_the_majority_earns_both_rewards() -> None:
    stakes = {A: 100, B: 100, C: 200}
    res = _settle(
        stakes=stakes,
        caller=C,
        proposers=[ProposerEntry(A, True, 10, H1)],
        voters=[VoterEntry(v, True, 0b1, H1) for v in (A, B, C)],
    )
    # A: accept B+C = 300 vs 0 -> accepted; everyone matches.
    assert res.accepted_addresses == (_cs(A),) and res.majority_voters == (_cs(A), _cs(B), _cs(C))
    # A: the whole proposer budget 297 + voter 198*100//400 = 49 (49.5); B 49; C 99 + bonus 5;
    # voter dust 1.
    assert dict(res.rewards) == {_cs(A): 297 + 49, _cs(B): 49, _cs(C): 99 + 5}
    assert res.slashes == {} and res.unpaid == 1 and res.new_pool == 500 + 1


def test_a_proposer_that_submitted_but_did_not_reveal_is_absent() -> None:
    stakes = {A: 100, B: 100, C: 100}
    res = _settle(
        stakes=stakes,
        caller=B,
        proposers=[ProposerEntry(A, True, 5, H1)],
        voters=[VoterEntry(A, False), VoterEntry(B, True, 0b1, H1), VoterEntry(C, True, 0b1, H1)],
    )
    # A's update is accepted (B+C = 200 vs 0) and still earns the proposer budget...
    assert res.accepted_addresses == (_cs(A),) and res.majority_voters == (_cs(B), _cs(C))
    assert dict(res.rewards) == {_cs(A): 297, _cs(B): 99 + 5, _cs(C): 99}
    # ... but its vote is missing: absent, 10 % of 100.
    assert dict(res.slashes) == {_cs(A): 10} and dict(res.slash_reasons) == {_cs(A): 3}
    assert res.absent_addresses == (_cs(A),)
    assert res.new_pool == 500 + 10


def test_a_coalition_of_three_pure_voters_cannot_reject_honest_updates() -> None:
    # 10 participants with equal stake: 5 honest proposers P0..P4, 2 honest pure voters V0, V1,
    # 3 colluding pure voters X0..X2. The colluders have no update this round, so their strategy
    # (reject every honest update, accept each other's) rejects all five. Under the old rule
    # only the 5 non-proposers voted and the colluders held 3 of those 5 votes.
    p = [f"0x{i:040x}" for i in range(0xB0, 0xB5)]
    v0, v1, x0, x1, x2 = (f"0x{i:040x}" for i in range(0xB5, 0xBA))
    colluders = (x0, x1, x2)
    order = [p[0], x0, p[1], v0, p[2], x1, p[3], v1, p[4], x2]  # colluders spread out
    stakes = {a: 100 for a in order}
    res = _settle(
        stakes=stakes,
        caller=v0,
        proposers=[ProposerEntry(a, True, 10, H1) for a in p],
        voters=[
            VoterEntry(a, True, 0b00000, H2) if a in colluders else VoterEntry(a, True, 0b11111, H1) for a in order
        ],
    )
    # Each update, its proposer's own vote left out: accept 4 proposers + V0 + V1 = 600 vs reject
    # 300 -> all accepted.
    assert res.accepted == (0, 1, 2, 3, 4) and res.rejected == () and res.outcome_bitmap == 0b11111
    honest = tuple(_cs(a) for a in order if a not in colluders)
    assert res.majority_voters == honest and res.new_global_hash == H1
    # Proposers 297*10//50 = 59 each (dust 2); voters 198*100//700 = 28 each (dust 2).
    expected = {_cs(a): 59 + 28 for a in p}
    expected[_cs(v0)] = 28 + 5  # and the finalizer bonus
    expected[_cs(v1)] = 28
    assert dict(res.rewards) == expected
    # Only the colluders lose stake: minority voters, 20 % of 100.
    assert dict(res.slashes) == {_cs(x): 20 for x in colluders}
    assert dict(res.slash_reasons) == {_cs(x): 2 for x in colluders}
    assert res.new_pool == 500 + 2 + 2 + 60
    assert sum(res.new_stakes.values()) + res.new_pool + res.total_rewards == 1000 + 1000
