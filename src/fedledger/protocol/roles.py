"""Role draw of an Alliance round: who proposes, who votes (spec section "Rounds").

Each participant's ticket is `keccak256(abi.encode(seed_r, addr))` read as a uint256; the
`k` lowest tickets propose, in ascending ticket order (that order is the proposer index used
by accept bitmaps and by aggregation); every participant votes, proposers too, in participant
order (a proposer's vote on its own update does not count: see `protocol.alliance`). Participants
that missed their role in the previous round (no update, no revealed vote) rank after all
others: a proposer slot then goes to someone who is there, and an absent participant proposes
only when too few others are left. Ejected participants (stake below half of `stakeRequired`)
take no part: the others are the only proposers and voters, and `k` (set by the task's size)
shrinks only as far as needed to leave one participant among them that does not propose.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from fedledger.core.errors import ValidationError
from fedledger.protocol.encoding import abi_encode, as_bytes32, as_uint, checksum, keccak256

BPS = 10_000
MAX_PARTICIPANTS = 255
"""Every participant votes, so a round's vote counters fit the contract's uint8."""


def round_seed(prevrandao: int, task_address: str, round_index: int) -> bytes:
    """`seed_r = keccak256(abi.encode(block.prevrandao, address(this), r))`."""
    return keccak256(
        abi_encode(
            ["uint256", "address", "uint256"],
            [as_uint(prevrandao, "prevrandao"), checksum(task_address), as_uint(round_index, "round index")],
        )
    )


def ticket(seed: bytes, address: str) -> int:
    """`uint256(keccak256(abi.encode(seed, addr)))`: lower tickets propose first."""
    digest = keccak256(abi_encode(["bytes32", "address"], [as_bytes32(seed, "seed"), checksum(address)]))
    return int.from_bytes(digest, "big")


def num_proposers(n: int, ratio_bps: int, pioneer: bool) -> int:
    """How many proposers a round has.

    A pioneering round (round 0 with no initial model) has exactly one proposer; otherwise
    `ceil(n * ratio_bps / 10000)` clamped to `[1, n - 1]` so at least one voter remains.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 2 or n > MAX_PARTICIPANTS:
        raise ValidationError(f"a round needs 2..{MAX_PARTICIPANTS} participants, got {n!r}")
    if isinstance(ratio_bps, bool) or not isinstance(ratio_bps, int) or not 1 <= ratio_bps <= BPS - 1:
        raise ValidationError(f"proposer ratio must be 1..9999 basis points, got {ratio_bps!r}")
    if pioneer:
        return 1
    k = (n * ratio_bps + BPS - 1) // BPS
    return max(1, min(k, n - 1))


def draw_roles(
    seed: bytes,
    participants: Sequence[str],
    ratio_bps: int,
    pioneer: bool,
    missed_last_round: Collection[str] = (),
    ejected: Collection[str] = (),
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Draw (proposers in index order, voters in participant order); voters include the proposers.

    `missed_last_round` holds the participants that did not act in their role in the previous
    round; they are drawn after everyone else. `ejected` participants are in neither tuple.
    Ties between tickets (a keccak collision, never seen in practice) keep participant order,
    matching a stable selection on-chain.
    """
    addrs = [checksum(a) for a in participants]
    if len(set(addrs)) != len(addrs):
        raise ValidationError("participants contain a duplicate address; each address joins once")
    late = {checksum(a) for a in missed_last_round}
    out = {checksum(a) for a in ejected}
    if not late | out <= set(addrs):
        raise ValidationError("missed_last_round or ejected names an address that is not a participant")
    active = [i for i, a in enumerate(addrs) if a not in out]
    k = min(num_proposers(len(addrs), ratio_bps, pioneer), len(active) - 1)
    if k < 1:
        raise ValidationError(f"a round needs two participants not ejected, got {len(active)}")
    ranked = sorted(active, key=lambda i: (addrs[i] in late, ticket(seed, addrs[i]), i))
    proposers = tuple(addrs[i] for i in ranked[:k])
    voters = tuple(addrs[i] for i in active)
    return proposers, voters
