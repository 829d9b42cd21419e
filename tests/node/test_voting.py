"""The voter's decision rule over measurements, and the vote behaviours."""

from __future__ import annotations

import pytest

from fedledger.core.errors import ConfigError
from fedledger.node.behaviours import ATTACKS, Colluding, LazyVoter, VoteContext, make_behaviour
from fedledger.node.voting import UpdateScore, VoteRule, decide, lower_median


def _acc_table(bad: set[int], base: float = 0.9) -> "callable":
    """Aggregate accuracy falls by 0.3 per bad member: a stand-in for a real evaluation."""

    def subset_accuracy(subset: tuple[int, ...]) -> float:
        return base - 0.3 * len(bad & set(subset))

    return subset_accuracy


def test_honest_updates_accepted_and_harmful_one_rejected() -> None:
    scores = [UpdateScore(i, True, 1.0 + 0.1 * i, 0.1) for i in range(4)]
    verdict = decide(scores, pioneer=False, subset_accuracy=_acc_table({2}), rule=VoteRule(loo_tol=0.05))
    assert verdict.accept == {0: True, 1: True, 2: False, 3: True}
    assert verdict.bitmap == 0b1011
    assert verdict.accepted == [0, 1, 3]
    assert "harms the aggregate" in verdict.reasons[2]


def test_magnitude_outlier_rejected_even_with_two_proposers() -> None:
    scores = [UpdateScore(0, True, 1.0, 0.1), UpdateScore(1, True, 10.0, 1.0)]
    verdict = decide(scores, pioneer=False, subset_accuracy=_acc_table(set()))
    assert verdict.accept == {0: True, 1: False}
    assert "median" in verdict.reasons[1]


def test_invalid_and_free_rider_rejected() -> None:
    scores = [
        UpdateScore(0, False, reason="hash mismatch"),
        UpdateScore(1, True, 0.0, 0.0),  # identical to global
        UpdateScore(2, True, 1.0, 0.2),
    ]
    verdict = decide(scores, pioneer=False, subset_accuracy=_acc_table(set()))
    assert verdict.accept == {0: False, 1: False, 2: True}
    assert verdict.reasons[0] == "hash mismatch"
    assert "free-rider" in verdict.reasons[1]


def test_pioneer_round_accepts_any_valid_model() -> None:
    verdict = decide([UpdateScore(0, True)], pioneer=True, subset_accuracy=None)
    assert verdict.accept == {0: True}
    assert decide([UpdateScore(0, False, reason="x")], pioneer=True, subset_accuracy=None).accept == {0: False}


def test_tolerance_keeps_small_differences() -> None:
    scores = [UpdateScore(i, True, 1.0, 0.1) for i in range(3)]

    def noisy(subset: tuple[int, ...]) -> float:
        return 0.80 + (0.04 if 1 not in subset else 0.0)  # leaving 1 out helps by 4 pt < 5 pt

    assert decide(scores, False, noisy, VoteRule(loo_tol=0.05, loo_min_candidates=2)).accepted == [0, 1, 2]
    assert decide(scores, False, noisy, VoteRule(loo_tol=0.03, loo_min_candidates=2)).accepted == [0, 2]


def test_lower_median() -> None:
    assert lower_median([3.0, 1.0]) == 1.0
    assert lower_median([5.0, 1.0, 3.0]) == 3.0


def test_lazy_and_colluding_votes() -> None:
    proposers = ["0xA", "0xB", "0xC"]
    ctx = VoteContext(proposers=proposers, submitted=[0, 2], scores=[], pioneer=False)
    assert LazyVoter().vote(ctx).bitmap == 0b101
    cartel = Colluding(partners=frozenset({"0xa"}))
    assert cartel.vote(ctx).accept == {0: True, 2: False}


def test_behaviour_registry() -> None:
    assert set(ATTACKS) == {"noise", "signflip", "labelflip", "freerider", "lazy", "colluding", "noshow"}
    assert make_behaviour("signflip", boost=3.0).boost == 3.0  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="unknown behaviour"):
        make_behaviour("evil")
    with pytest.raises(ConfigError, match="bad parameters"):
        make_behaviour("honest", boost=1)
