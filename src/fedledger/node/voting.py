"""The voter's decision rule, as a pure function over measurements (no I/O, no torch).

A voter scores every submitted update on its own local test set and accepts or rejects each
one separately (per-update verdicts, so one bad proposer does not sink honest ones). Local
data is non-IID, so an honest update trained on a few classes can score badly on another
node's test set on its own; the rule therefore judges updates by their *effect on the
aggregate*, which is what the task actually uses, plus two cheap parameter-space screens.

1. **Hard reject** an update that is missing, fails its hash, or is malformed (wrong keys or
   shapes, non-finite values): `valid=False`.
2. **Free-rider**: reject an update whose relative L2 distance to the current global model is
   below `free_rider_tol` (it returned the global model unchanged and did no work). Skipped
   in a pioneering round, which has no global model.
3. **Magnitude outlier**: reject an update that moves the model more than `norm_factor` times
   the *lower median* of the candidates' distances (noise and boosted updates move it by
   orders of magnitude more than honest training; the lower median stays honest while fewer
   than half are boosted, also with two proposers).
4. **Harmful inclusion** (leave-one-out): with S the surviving candidates and A(·) their
   FedAvg, reject `i` when `acc(A(S \\ {i})) - acc(A(S)) > loo_tol`: leaving it out helps the
   aggregate on the voter's own test set by more than sampling noise (label-flip poisoning).

Tolerances are generous on purpose: a false rejection slashes an honest proposer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

SubsetAccuracy = Callable[[tuple[int, ...]], float]
"""Local-test accuracy of the FedAvg of the given proposer indices (sorted tuple)."""


@dataclass(frozen=True)
class UpdateScore:
    """What a voter measured about one proposer's update."""

    index: int
    valid: bool
    distance: float | None = None
    """L2 distance to the current global model"""
    relative_distance: float | None = None
    """distance / ||global||"""
    reason: str = ""


@dataclass(frozen=True)
class VoteRule:
    """Tolerances of the decision rule."""

    free_rider_tol: float = 1e-6
    norm_factor: float = 4.0
    loo_tol: float = 0.15
    loo_min_candidates: int = 3
    """below this many candidates leave-one-out compares an aggregate with a single non-IID
    update, which is too noisy to slash on"""


@dataclass(frozen=True)
class Verdict:
    """Per-proposer decision plus a human-readable reason (for reports and logs)."""

    accept: dict[int, bool]
    reasons: dict[int, str] = field(default_factory=dict)

    @property
    def bitmap(self) -> int:
        """Bit `i` set iff proposer index `i` is accepted."""
        return sum(1 << i for i, ok in self.accept.items() if ok)

    @property
    def accepted(self) -> list[int]:
        """Accepted proposer indices in ascending (= aggregation) order."""
        return sorted(i for i, ok in self.accept.items() if ok)


def lower_median(values: Sequence[float]) -> float:
    """The lower of the two middle values (the middle one for odd counts)."""
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2]


def decide(
    scores: Sequence[UpdateScore],
    pioneer: bool,
    subset_accuracy: SubsetAccuracy | None,
    rule: VoteRule = VoteRule(),
) -> Verdict:
    """Apply the rule above to one round's submitted updates."""
    accept: dict[int, bool] = {}
    reasons: dict[int, str] = {}
    candidates: list[UpdateScore] = []
    for s in scores:
        if not s.valid:
            accept[s.index], reasons[s.index] = False, s.reason or "invalid"
        elif not pioneer and s.relative_distance is not None and s.relative_distance < rule.free_rider_tol:
            accept[s.index], reasons[s.index] = False, "free-rider: identical to the global model"
        else:
            candidates.append(s)
    distances = [s.distance for s in candidates if s.distance is not None]
    if not pioneer and len(distances) >= 2:
        bound = rule.norm_factor * lower_median(distances)
        kept = []
        for s in candidates:
            if s.distance is not None and bound > 0 and s.distance > bound:
                accept[s.index] = False
                reasons[s.index] = f"moves the model by {s.distance:.3g}, over {rule.norm_factor}x the median"
            else:
                kept.append(s)
        candidates = kept
    survivors = tuple(sorted(s.index for s in candidates))
    if subset_accuracy is not None and len(survivors) >= rule.loo_min_candidates:
        full = subset_accuracy(survivors)
        for i in survivors:
            without = subset_accuracy(tuple(j for j in survivors if j != i))
            if without - full > rule.loo_tol:
                accept[i] = False
                reasons[i] = f"harms the aggregate: {full:.3f} with it, {without:.3f} without"
            else:
                accept[i], reasons[i] = True, f"aggregate {full:.3f} with it, {without:.3f} without"
    else:
        for i in survivors:
            accept[i], reasons[i] = True, "valid"
    return Verdict(accept=accept, reasons=reasons)
