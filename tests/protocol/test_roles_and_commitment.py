"""Role draw and vote commitment: byte-level agreement with keccak256(abi.encode(...))."""

from __future__ import annotations

import pytest
from Crypto.Hash import keccak as pc_keccak

from fedledger.core.errors import ValidationError
from fedledger.protocol import draw_roles, num_proposers, round_seed, ticket, vote_commitment


def _k(data: bytes) -> bytes:
    """Independent keccak-256 (pycryptodome) so the check does not reuse the code under test."""
    return pc_keccak.new(digest_bits=256, data=data).digest()


def _word(x: int) -> bytes:
    return x.to_bytes(32, "big")


PARTS = [f"0x{(i * 0x1F3A5 + 7):040x}" for i in range(1, 11)]


@pytest.mark.parametrize(
    ("n", "bps", "pioneer", "k"),
    [
        (3, 1, False, 1),  # ceil(0.0003) = 1
        (10, 2500, False, 3),  # ceil(2.5)
        (10, 2000, False, 2),  # exact
        (4, 9999, False, 3),  # clamped to n-1
        (2, 5000, False, 1),
        (255, 5000, False, 128),  # ceil(127.5), the largest task
        (12, 5000, True, 1),  # pioneer
    ],
)
def test_num_proposers(n: int, bps: int, pioneer: bool, k: int) -> None:
    assert num_proposers(n, bps, pioneer) == k


@pytest.mark.parametrize(("n", "bps"), [(1, 5000), (256, 5000), (257, 5000), (5, 0), (5, 10_000)])
def test_num_proposers_rejects_bad_input(n: int, bps: int) -> None:
    with pytest.raises(ValidationError):
        num_proposers(n, bps, False)


def test_seed_and_ticket_match_abi_encoding() -> None:
    task = "0x" + "ab" * 20
    seed = round_seed(12345, task, 7)
    assert seed == _k(_word(12345) + bytes(12) + bytes.fromhex("ab" * 20) + _word(7))
    addr = PARTS[0]
    assert ticket(seed, addr) == int.from_bytes(_k(seed + bytes(12) + bytes.fromhex(addr[2:])), "big")


def test_draw_roles_orders_proposers_by_ticket_and_voters_by_participation() -> None:
    seed = round_seed(2**255 + 3, "0x" + "cd" * 20, 1)
    proposers, voters = draw_roles(seed, PARTS, 3000, pioneer=False)
    assert len(proposers) == 3 and len(voters) == 10  # every participant votes, proposers too
    tickets = [ticket(seed, p) for p in proposers]
    assert tickets == sorted(tickets)
    others = [v for v in voters if v not in proposers]
    assert len(others) == 7 and max(tickets) < min(ticket(seed, v) for v in others)
    assert [v.lower() for v in voters] == PARTS  # participant order kept
    assert set(proposers) <= set(voters)
    assert draw_roles(seed, PARTS, 3000, pioneer=True)[0] == proposers[:1]
    # A different seed gives a different draw (for these fixed inputs).
    assert draw_roles(round_seed(1, "0x" + "cd" * 20, 1), PARTS, 3000, False)[0] != proposers


def test_draw_roles_ranks_participants_that_missed_last_round_after_everyone_else() -> None:
    seed = round_seed(77, "0x" + "cd" * 20, 3)
    baseline, _ = draw_roles(seed, PARTS, 3000, pioneer=False)
    # The would-be proposers all missed their role last round: three others take their places.
    proposers, voters = draw_roles(seed, PARTS, 3000, False, missed_last_round=baseline)
    assert not set(proposers) & set(baseline)
    assert set(baseline) <= set(voters)
    others = sorted((p for p in PARTS if p not in [b.lower() for b in baseline]), key=lambda a: ticket(seed, a))
    assert [p.lower() for p in proposers] == [o.lower() for o in others[:3]]
    # Too few left who acted (2 < 3): they propose first, then the lowest-ticket absentee.
    late = PARTS[2:]
    proposers, _ = draw_roles(seed, PARTS, 3000, False, missed_last_round=late)
    first_absentee = min(late, key=lambda a: ticket(seed, a))
    assert [p.lower() for p in proposers] == [*sorted(PARTS[:2], key=lambda a: ticket(seed, a)), first_absentee]


def test_draw_roles_leaves_ejected_participants_out_and_keeps_k_while_a_voter_remains() -> None:
    seed = round_seed(78, "0x" + "cd" * 20, 4)
    baseline, _ = draw_roles(seed, PARTS, 5000, pioneer=False)
    taken = {b.lower() for b in baseline}
    out = [baseline[0].lower(), PARTS[-1] if PARTS[-1] not in taken else PARTS[-2]]
    proposers, voters = draw_roles(seed, PARTS, 5000, False, missed_last_round=[out[1]], ejected=out)
    assert len(proposers) == 5 and len(voters) == 8  # k = ceil(10 * 50 %) still, from the 8 others
    assert not {p.lower() for p in (*proposers, *voters)} & set(out)
    assert [v.lower() for v in voters] == [p for p in PARTS if p not in out]  # all 8 others vote
    rest = sorted((p for p in PARTS if p not in out), key=lambda a: ticket(seed, a))
    assert [p.lower() for p in proposers] == rest[:5]
    # Five ejected: k = 5 would leave nobody who does not propose, so it shrinks to 4.
    proposers, voters = draw_roles(seed, PARTS, 5000, False, ejected=PARTS[:5])
    assert len(proposers) == 4 and [v.lower() for v in voters] == PARTS[5:]
    assert len(set(voters) - set(proposers)) == 1
    with pytest.raises(ValidationError, match="two participants not ejected"):  # no proposer and voter
        draw_roles(seed, PARTS[:3], 5000, False, ejected=PARTS[:2])


def test_draw_roles_rejects_an_unknown_absentee() -> None:
    with pytest.raises(ValidationError, match="not a participant"):
        draw_roles(b"\x00" * 32, PARTS, 5000, False, missed_last_round=["0x" + "ee" * 20])


def test_draw_roles_rejects_duplicates() -> None:
    with pytest.raises(ValidationError, match="duplicate"):
        draw_roles(b"\x00" * 32, [PARTS[0], PARTS[0].upper().replace("0X", "0x"), PARTS[1]], 5000, False)


def test_vote_commitment_matches_abi_encoding() -> None:
    voter = PARTS[3]
    agg, salt = b"\x42" * 32, b"\x07" * 32
    expected = _k(_word(2) + bytes(12) + bytes.fromhex(voter[2:]) + _word(0b1011) + agg + salt)
    assert vote_commitment(2, voter, 0b1011, agg, salt) == expected
    assert vote_commitment(2, voter, 0b1010, agg, salt) != expected


@pytest.mark.parametrize(
    "args",
    [
        (-1, PARTS[0], 0, b"\x00" * 32, b"\x00" * 32),
        (0, "nope", 0, b"\x00" * 32, b"\x00" * 32),
        (0, PARTS[0], 2**256, b"\x00" * 32, b"\x00" * 32),
        (0, PARTS[0], 0, b"\x00" * 31, b"\x00" * 32),
        (0, PARTS[0], 0, b"\x00" * 32, b"\x00" * 33),
    ],
)
def test_vote_commitment_rejects_bad_input(args: tuple[object, ...]) -> None:
    with pytest.raises(ValidationError):
        vote_commitment(*args)  # type: ignore[arg-type]
