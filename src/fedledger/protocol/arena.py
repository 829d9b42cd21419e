"""Pure mirror of the ArenaTask score and reward maths (docs/arena-protocol.md).

Why: the node and the simulator predict what the contract will pay, and a test holds this
module and `contracts/arena/ArenaTask.sol` equal on random cases. Integer arithmetic with floor
division, in the contract's order. Imports only `fedledger.core` and the standard library.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from fedledger.core.errors import ValidationError
from fedledger.core.records import ARENA_SCORE_SCALE

BPS = 10_000
#: Slash reasons, as in the contract's `Slashed` event.
SLASH_OUTSIDE_TOLERANCE = 1
SLASH_DID_NOT_REVEAL = 2
SLASH_NO_SUBMISSION = 3


def weighted_median(scores: Sequence[int], weights: Sequence[int]) -> int:
    """Lower stake-weighted median: sort by score, return the first score at which the cumulative
    weight reaches half the total (2 * cum >= total). A coalition below half the weight cannot
    move it outside the range of the other scores."""
    if len(scores) != len(weights) or not scores:
        raise ValidationError(f"weighted_median needs equal, non-empty score and weight lists, got {len(scores)} and {len(weights)}")
    pairs = sorted(zip(scores, weights, strict=True), key=lambda p: p[0])
    total = sum(weights)
    cum = 0
    for score, weight in pairs:
        cum += weight
        if 2 * cum >= total:
            return int(score)
    return int(pairs[-1][0])


def trainer_weight(score: int, exponent: int) -> int:
    """f(score) = score ** exponent: convex for exponent >= 2, so a better model earns more than
    proportionally (with p = 2, a 0.9 model earns 1.23x what a 0.81 model earns, per unit of score)."""
    if not 1 <= exponent <= 4:
        raise ValidationError(f"score exponent must be in 1..4, got {exponent}")
    if not 0 <= score <= ARENA_SCORE_SCALE:
        raise ValidationError(f"score must be in [0, {ARENA_SCORE_SCALE}], got {score}")
    return score**exponent


def closeness(score: int, median: int, tolerance: int) -> int:
    """Reward points of a validator's score: tolerance - |score - median| + 1 within tolerance, else 0."""
    d = abs(score - median)
    return tolerance - d + 1 if d <= tolerance else 0


def slash_amount(stake: int, bps: int) -> int:
    return stake * bps // BPS


@dataclass(frozen=True)
class ScoredSubmission:
    """The settled result of one submission."""

    scored: bool
    score: int
    closeness: Mapping[str, int] = field(default_factory=dict)
    outside: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()


def settle_submission(
    revealed: Mapping[str, int], deposits: Mapping[str, int], assigned: Sequence[str], tolerance: int
) -> ScoredSubmission:
    """Median score, closeness points and who is slashed for one submission.

    `assigned` are the drawn validators, `revealed` maps those who revealed to their scores,
    `deposits` are their original stakes (the median's weights).
    """
    absent = tuple(v for v in assigned if v not in revealed)
    voters = [v for v in assigned if v in revealed]
    if not voters:
        return ScoredSubmission(scored=False, score=0, absent=absent)
    median = weighted_median([revealed[v] for v in voters], [deposits[v] for v in voters])
    points = {v: closeness(revealed[v], median, tolerance) for v in voters}
    return ScoredSubmission(
        scored=True,
        score=median,
        closeness={v: c for v, c in points.items() if c > 0},
        outside=tuple(v for v, c in points.items() if c == 0),
        absent=absent,
    )


@dataclass(frozen=True)
class Budgets:
    """Budgets fixed at finalization."""

    trainer_budget: int
    validator_budget: int
    creator_refund: int
    alliance_reserve: int


def alliance_reserve(reward_pool: int, alliance_share_bps: int) -> int:
    return reward_pool * alliance_share_bps // BPS


def budgets(
    reward_pool: int,
    trainer_share_bps: int,
    alliance_share_bps: int,
    slashed: int,
    sum_trainer_weight: int,
    sum_closeness: int,
    has_winner: bool,
) -> Budgets:
    """Split the pool as `finalize` does: the alliance reserve first, then `trainerShare` of the rest
    to trainers and the remainder plus all slashes to validators; a budget without recipients (and
    the reserve when there is no winner) goes back to the creator."""
    reserve = alliance_reserve(reward_pool, alliance_share_bps)
    base = reward_pool - reserve
    trainer_part = base * trainer_share_bps // BPS
    validator_part = base - trainer_part + slashed
    refund = 0
    trainer_budget = trainer_part if sum_trainer_weight > 0 else 0
    validator_budget = validator_part if sum_closeness > 0 else 0
    refund += trainer_part - trainer_budget + validator_part - validator_budget
    if not has_winner:
        refund += reserve
        reserve = 0
    return Budgets(trainer_budget, validator_budget, refund, reserve)


def shares(budget: int, points: Mapping[str, int], order: Sequence[str]) -> dict[str, int]:
    """Pay `budget` in proportion to `points` (pull payments in withdrawal `order`): each gets
    floor(budget * p / sum(p)), except the last of them to withdraw, who gets what is left, so the
    budget is paid out exactly."""
    payees = [a for a in order if points.get(a, 0) > 0]
    if sorted(payees) != sorted(a for a, p in points.items() if p > 0):
        raise ValidationError("withdrawal order must list every address with positive points exactly once")
    total = sum(points[a] for a in payees)
    left = budget
    out: dict[str, int] = {}
    for i, a in enumerate(payees):
        amount = left if i == len(payees) - 1 else budget * points[a] // total
        out[a] = amount
        left -= amount
    return out
