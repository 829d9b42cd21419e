"""The voter's decision rule over measurements, and the vote behaviours."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from fedledger.core.errors import ConfigError
from fedledger.node.behaviours import ATTACKS, Colluding, LazyVoter, VoteContext, make_behaviour
from fedledger.learning.similarity import median_cosines, step_cosines
from fedledger.node.voting import ReferenceView, StepView, UpdateScore, VoteRule, decide, lower_median

RNG = np.random.default_rng(0)
CONSENSUS = RNG.standard_normal(200)


def _honest_delta(scale: float = 1.0) -> np.ndarray:
    """A delta that shares the consensus direction plus its own (non-IID) part."""
    return scale * (CONSENSUS + 0.8 * RNG.standard_normal(200))


def _direction(deltas: dict[int, np.ndarray]) -> Callable[[tuple[int, ...]], dict[int, float]]:
    return lambda subset: median_cosines({i: deltas[i] for i in subset})


def _scores(deltas: dict[int, np.ndarray]) -> list[UpdateScore]:
    return [UpdateScore(i, True, float(np.linalg.norm(d)), float(np.linalg.norm(d)) / 100) for i, d in deltas.items()]


def test_honest_updates_accepted_and_reversed_one_rejected_by_direction() -> None:
    deltas = {0: _honest_delta(), 1: _honest_delta(), 2: -_honest_delta(), 3: _honest_delta()}
    verdict = decide(_scores(deltas), pioneer=False, subset_metrics=None, direction=_direction(deltas))
    assert verdict.accept == {0: True, 1: True, 2: False, 3: True}
    assert verdict.bitmap == 0b1011 and verdict.accepted == [0, 1, 3]
    assert "points away" in verdict.reasons[2]


def test_direction_screen_never_rejects_half_or_more() -> None:
    measured = {0: 0.9, 1: 0.9, 2: -0.5, 3: -0.5}  # two camps of equal size: no consensus

    def direction(subset: tuple[int, ...]) -> dict[int, float]:
        return {i: measured[i] for i in subset}

    scores = [UpdateScore(i, True, 1.0, 0.1) for i in measured]
    assert decide(scores, pioneer=False, subset_metrics=None, direction=direction).accepted == [0, 1, 2, 3]
    # one camp member fewer and the other camp is a clear minority again
    assert decide(scores[:3], pioneer=False, subset_metrics=None, direction=direction).accepted == [0, 1]


def test_direction_cut_is_relative_to_the_rounds_agreement() -> None:
    measured = {0: 0.50, 1: 0.45, 2: 0.40, 3: 0.21, 4: 0.15}  # cut = 0.4 * 0.40 = 0.16

    def direction(subset: tuple[int, ...]) -> dict[int, float]:
        return {i: measured[i] for i in subset}

    scores = [UpdateScore(i, True, 1.0, 0.1) for i in measured]
    verdict = decide(scores, pioneer=False, subset_metrics=None, direction=direction)
    assert verdict.accepted == [0, 1, 2, 3]
    assert "cosine 0.15" in verdict.reasons[4]


def test_magnitude_outlier_rejected_even_with_two_proposers() -> None:
    scores = [UpdateScore(0, True, 1.0, 0.1), UpdateScore(1, True, 10.0, 1.0)]
    verdict = decide(scores, pioneer=False, subset_metrics=None)
    assert verdict.accept == {0: True, 1: False}
    assert "median" in verdict.reasons[1]


def test_invalid_and_free_riders_rejected() -> None:
    scores = [
        UpdateScore(0, False, reason="hash mismatch"),
        UpdateScore(1, True, 0.0, 0.0),  # identical to global
        UpdateScore(2, True, 1.0, 0.2),
        UpdateScore(3, True, 0.01, 0.002),  # nearly identical: moved 1 % of the median move
        UpdateScore(4, True, 1.2, 0.24),
    ]
    verdict = decide(scores, pioneer=False, subset_metrics=None)
    assert verdict.accept == {0: False, 1: False, 2: True, 3: False, 4: True}
    assert verdict.reasons[0] == "hash mismatch"
    assert "free-rider" in verdict.reasons[1] and "free-rider" in verdict.reasons[3]


def test_pioneer_round_accepts_valid_models_near_the_initial_one() -> None:
    verdict = decide([UpdateScore(0, True)], pioneer=True, subset_metrics=None)
    assert verdict.accept == {0: True}
    assert decide([UpdateScore(0, True, 1.2, 1.2)], pioneer=True, subset_metrics=None).accept == {0: True}
    far = decide([UpdateScore(0, True, 14.0, 14.0)], pioneer=True, subset_metrics=None)  # a noise model
    assert far.accept == {0: False} and "initial model" in far.reasons[0]
    assert decide([UpdateScore(0, False, reason="x")], pioneer=True, subset_metrics=None).accept == {0: False}
    lazy = decide([UpdateScore(0, True, 0.0, 0.0)], pioneer=True, subset_metrics=None)  # the initial model itself
    assert lazy.accept == {0: False} and "free-rider" in lazy.reasons[0]


def test_local_check_is_off_by_default_and_needs_margin_and_lag_when_on() -> None:
    deltas = {0: _honest_delta(), 1: _honest_delta(), 2: _honest_delta(), 3: 0.3 * CONSENSUS + RNG.standard_normal(200)}
    cos = median_cosines(deltas)
    laggard = min(cos, key=cos.__getitem__)
    assert cos[laggard] > VoteRule().cos_min  # passes the objective screen

    def metrics(subset: tuple[int, ...]) -> tuple[float, float]:
        bad = laggard in subset
        return (0.5, 1.0) if bad else (0.8, 0.5)  # leaving it out: loss -50 %, accuracy +30 pt

    scores = _scores(deltas)
    assert decide(scores, False, metrics, direction=_direction(deltas)).accepted == [0, 1, 2, 3]
    on = decide(scores, False, metrics, VoteRule(local_check=True), _direction(deltas))
    assert on.accepted == [i for i in range(4) if i != laggard]
    assert "harms the aggregate" in on.reasons[laggard]

    def small(subset: tuple[int, ...]) -> tuple[float, float]:
        return (0.75, 0.9) if laggard in subset else (0.8, 0.8)  # -11 % loss, +5 pt: within tolerance

    assert decide(scores, False, small, VoteRule(local_check=True), _direction(deltas)).accepted == [0, 1, 2, 3]


def test_lower_median() -> None:
    assert lower_median([3.0, 1.0]) == 1.0
    assert lower_median([5.0, 1.0, 3.0]) == 3.0


def test_median_cosines_zero_delta_is_zero() -> None:
    cos = median_cosines({0: np.zeros(3), 1: np.ones(3), 2: np.ones(3)})
    assert cos[0] == 0.0 and cos[1] == pytest.approx(1.0)


def test_lazy_and_colluding_votes() -> None:
    proposers = ["0xA", "0xB", "0xC"]
    ctx = VoteContext(proposers=proposers, submitted=[0, 2], scores=[], pioneer=False)
    assert LazyVoter().vote(ctx).bitmap == 0b101
    assert not LazyVoter.fetches and not LazyVoter.evaluates
    cartel = Colluding(partners=frozenset({"0xa"}))
    assert cartel.vote(ctx).accept == {0: True, 2: False}


def test_byzantine_adversaries_vote_as_a_coalition_unless_told_to_vote_honestly() -> None:
    deltas = {0: _honest_delta(), 1: _honest_delta(), 2: -10 * _honest_delta(), 3: _honest_delta()}
    ctx = VoteContext(
        proposers=["0xA", "0xB", "0xC", "0xD"], submitted=[0, 1, 2, 3], scores=_scores(deltas), pioneer=False,
        direction=_direction(deltas),
    )
    for name in ("noise", "signflip", "labelflip", "freerider"):
        byz = make_behaviour(name, partners=frozenset({"0xc"}))
        assert byz.vote(ctx).accept == {0: False, 1: False, 2: True, 3: False}, name
        honest_voting = make_behaviour(name, partners=frozenset({"0xc"}), vote_honestly=True)
        assert honest_voting.vote(ctx).accepted == [0, 1, 3], name
    assert make_behaviour("colluding", partners=frozenset({"0xc"}), vote_honestly=True).vote(ctx).accepted == [2]


def test_behaviour_registry() -> None:
    assert set(ATTACKS) == {"noise", "signflip", "labelflip", "sleeper", "freerider", "lazy", "colluding", "noshow"}
    assert make_behaviour("signflip", boost=3.0).boost == 3.0  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="unknown behaviour"):
        make_behaviour("evil")
    with pytest.raises(ConfigError, match="bad parameters"):
        make_behaviour("honest", boost=1)


def test_a_sleeper_trains_honestly_first_and_flips_labels_after() -> None:
    class Ctx:
        global_state: dict[str, object] = {}
        flips: list[bool] = []

        def train(self, flip_labels: bool = False) -> dict[str, object]:
            self.flips.append(flip_labels)
            return {}

    sleeper = make_behaviour("sleeper", honest_proposals=2)
    ctx = Ctx()
    for _ in range(4):
        sleeper.make_update(ctx)  # type: ignore[arg-type]
    assert ctx.flips == [False, False, True, True]
    assert sleeper.adversarial and make_behaviour("sleeper", vote_honestly=True).vote_honestly  # type: ignore[attr-defined]


def _previous_step(deltas: dict[int, np.ndarray], step: np.ndarray) -> Callable[[tuple[int, ...]], StepView]:
    def view(subset: tuple[int, ...]) -> StepView:
        cosines, median_cosine = step_cosines({i: deltas[i] for i in subset}, step)
        return StepView(cosines, median_cosine, float(np.linalg.norm(step)))

    return view


def test_attackers_holding_the_median_cannot_outvote_honest_updates() -> None:
    """3 of 5 proposers push against the last accepted step: they own the coordinate-wise
    median, but the previous global step is public and they cannot move it."""
    attack = -3 * CONSENSUS
    deltas = {0: _honest_delta(), 1: attack + 0.1 * RNG.standard_normal(200), 2: _honest_delta(),
              3: attack + 0.1 * RNG.standard_normal(200), 4: attack + 0.1 * RNG.standard_normal(200)}
    scores = _scores(deltas)
    captured = decide(scores, False, None, direction=_direction(deltas))
    assert captured.accepted == [1, 3, 4]  # without the step reference the honest pair loses
    verdict = decide(scores, False, None, direction=_direction(deltas), previous_step=_previous_step(deltas, CONSENSUS))
    assert verdict.accepted == [0, 2]
    assert "previous global step" in verdict.reasons[1]


def test_step_reference_spares_an_update_that_follows_the_last_step_and_caps_magnitudes() -> None:
    measured = {0: 0.9, 1: 0.9, 2: 0.9, 3: 0.05}  # the median screen flags 3 ...
    deltas = {i: _honest_delta() for i in measured}
    step = CONSENSUS

    def direction(subset: tuple[int, ...]) -> dict[int, float]:
        return {i: measured[i] for i in subset}

    scores = [UpdateScore(i, True, 1.0, 0.1) for i in measured]
    assert decide(scores, False, None, direction=direction).accepted == [0, 1, 2]
    # ... but it agrees with the previous global step, so it stays
    assert decide(scores, False, None, direction=direction, previous_step=_previous_step(deltas, step)).accepted == [0, 1, 2, 3]
    # a majority of huge (noise) moves cannot make the honest moves look like free-riders
    noisy = [UpdateScore(0, True, 1.0, 0.1), UpdateScore(1, True, 1.1, 0.1)] + [UpdateScore(i, True, 50.0, 5.0) for i in (2, 3, 4)]
    big = {i: (_honest_delta() if i < 2 else 50 * RNG.standard_normal(200)) for i in range(5)}
    unit = step / np.linalg.norm(step)
    assert decide(noisy, False, None).accepted == [2, 3, 4]  # the lower median is a noise move
    with_step = decide(noisy, False, None, previous_step=_previous_step(big, unit))
    assert with_step.accepted == [0, 1]


def _reference(output_layer: dict[int, float], whole_model: dict[int, float] | None = None) -> Callable[..., ReferenceView]:
    view = ReferenceView(output_layer=output_layer, whole_model=whole_model or output_layer)
    return lambda subset: ReferenceView({i: view.output_layer[i] for i in subset}, {i: view.whole_model[i] for i in subset})


def test_public_reference_rejects_an_update_against_it_whatever_the_majority() -> None:
    """Three of five updates point against the public reference: all three are rejected (the
    reference does not depend on the proposers, so no minority cap applies), and the
    proposer-median direction screen, which a majority would own, is not used."""
    deltas = {i: _honest_delta() for i in range(5)}
    cosines = {0: 0.4, 1: -0.75, 2: -0.6, 3: 0.2, 4: -0.52}
    verdict = decide(_scores(deltas), pioneer=False, subset_metrics=None, direction=_direction(deltas),
                     reference=_reference(cosines))
    assert verdict.accepted == [0, 3]
    assert all("public reference" in verdict.reasons[i] for i in (1, 2, 4))


def test_public_reference_spares_a_slightly_negative_honest_cosine() -> None:
    deltas = {i: _honest_delta() for i in range(4)}
    verdict = decide(_scores(deltas), pioneer=False, subset_metrics=None, reference=_reference({0: -0.05, 1: 0.6, 2: 0.5, 3: 0.7}))
    assert verdict.accepted == [0, 1, 2, 3]


def test_a_pioneer_is_judged_on_the_whole_model_against_the_reference() -> None:
    scores = [UpdateScore(0, True, 1.0, 0.5)]
    flipped = decide(scores, pioneer=True, subset_metrics=None, reference=_reference({0: 0.3}, {0: 0.08}))
    assert flipped.accept == {0: False} and "whole-model cosine 0.08" in flipped.reasons[0]
    honest = decide(scores, pioneer=True, subset_metrics=None, reference=_reference({0: 0.3}, {0: 0.35}))
    assert honest.accept == {0: True}
    threshold = VoteRule().pioneer_ref_cos_min
    assert 0.11 < threshold < 0.23  # between the measured label-flip max and honest min


def test_while_the_model_names_few_classes_updates_are_judged_like_pioneers() -> None:
    """Right after the pioneer (or while label flips keep the model from learning) the global
    model names few classes reliably, so the class push cannot be measured; the model is then
    still near its start and honest updates share the reference's generic direction. Measured
    (10 and 20 nodes, seeds 0-4, the model naming < 5 of 10 classes): honest whole-model
    cosines >= 0.18, label-flipped <= 0.17 (median -0.02). Once it names half, honest updates
    went down to 0.04 with the same model, so the bar lifts there. At a stronger skew (alpha
    0.3) an honest one-class update fell to 0.14, but pulled 0.39 of its rows' pull toward their
    own classes, where label-flipped updates measured at most 0.33: the bar spares such updates."""
    scores = [UpdateScore(i, True, 1.0, 0.01) for i in range(5)]
    whole = {0: 0.4, 1: 0.1, 2: 0.19, 3: 0.5, 4: 0.12}
    pull = {0: 0.5, 1: 0.2, 2: 0.2, 3: 0.5, 4: 0.39}
    young = ReferenceView({i: 0.4 for i in range(5)}, whole, known_share=0.3, own_pull_share=pull)
    verdict = decide(scores, pioneer=False, subset_metrics=None, reference=lambda subset: young)
    # 4 points away too, but pulls its rows toward their own classes: a skewed honest client
    assert verdict.accepted == [0, 2, 3, 4]
    assert "while the model is young (whole-model cosine 0.10 < 0.15; it names 30% of the classes" in verdict.reasons[1]
    assert "own-class share 0.20 < 0.35" in verdict.reasons[1]
    unmeasured = ReferenceView({i: 0.4 for i in range(5)}, whole, known_share=0.3)
    assert decide(scores, pioneer=False, subset_metrics=None, reference=lambda subset: unmeasured).accepted == [0, 2, 3]
    for share in (0.5, None):  # half the classes named, or not measured: the bar does not apply
        grown = ReferenceView({i: 0.4 for i in range(5)}, whole, known_share=share)
        assert decide(scores, pioneer=False, subset_metrics=None, reference=lambda subset: grown).accepted == [0, 1, 2, 3, 4]
    assert 0.0 < VoteRule().early_ref_cos_min < 0.18  # under the lowest honest cosine measured at alpha 0.5
    assert 0.33 < VoteRule().early_own_pull_min < 0.39  # between the flips' highest share and that honest update's


def test_public_reference_judges_the_mean_of_output_layer_and_whole_model() -> None:
    deltas = {i: _honest_delta() for i in range(3)}
    verdict = decide(_scores(deltas), pioneer=False, subset_metrics=None,
                     reference=_reference({0: 0.05, 1: 0.3, 2: -0.3}, {0: -0.2, 1: 0.3, 2: -0.9}))
    assert verdict.accepted == [0, 1]  # means -0.075 and 0.3 pass, -0.6 does not
    assert "mean output-layer / whole-model cosine -0.60" in verdict.reasons[2]


def test_a_late_honest_update_against_the_reference_is_kept_unless_it_pushes_off_its_classes() -> None:
    """With the learning rate decayed towards 0, honest updates reached mean cosines of -0.43;
    those below 0 had a class push <= 0.23x their own output-layer move: kept. Below 0 the
    bar is 0.25 (label flips there, 20 nodes, measured mostly 0.3-0.66); above 0 it is 0.35."""
    scores = [UpdateScore(i, True, 1.0, 0.01) for i in range(5)]
    cos = {0: -0.43, 1: 0.2, 2: 0.3, 3: -0.2, 4: 0.1}
    view = ReferenceView(cos, cos, against_class={0: 0.23, 1: 0.0, 2: 0.3, 3: 0.3, 4: 0.4},
                         head_moves={i: 1.0 for i in range(5)})
    verdict = decide(scores, pioneer=False, subset_metrics=None, reference=lambda subset: view)
    assert verdict.accepted == [0, 1, 2]
    assert "cosine -0.20) while pushing" in verdict.reasons[3] and "0.30x its own output-layer move > 0.25" in verdict.reasons[3]
    assert "0.40x its own output-layer move > 0.35" in verdict.reasons[4]


def test_a_flip_cannot_dilute_its_push_by_moving_other_rows() -> None:
    """An update that pushes its rows off their classes by 0.8 typical output-layer moves but
    inflates its own move 4x (so its own-move ratio is 0.2) is still rejected on the
    typical-move ratio, which the update does not control."""
    scores = [UpdateScore(i, True, 1.0, 0.01) for i in range(4)]
    cos = {i: 0.2 for i in range(4)}
    view = ReferenceView(cos, cos, against_class={0: 0.8, 1: 0.05, 2: 0.1, 3: 0.0},
                         head_moves={0: 4.0, 1: 1.0, 2: 1.0, 3: 1.0})
    verdict = decide(scores, pioneer=False, subset_metrics=None, reference=lambda subset: view)
    assert verdict.accepted == [1, 2, 3]
    assert "0.80x a typical output-layer move > 0.6" in verdict.reasons[0]


def test_a_negative_cosine_is_rejected_only_with_an_outsized_move() -> None:
    """Late in training honest updates can sit slightly against the (noisy) reference; they
    move the model by a typical amount. A poisoned one against it moves it more."""
    moves = {0: 1.0, 1: 1.4, 2: 1.0, 3: 2.4, 4: 1.0}  # 1.4x: an honest late update measured at 1.33x
    scores = [UpdateScore(i, True, moves[i], 0.01) for i in moves]
    verdict = decide(scores, pioneer=False, subset_metrics=None,
                     reference=_reference({0: 0.3, 1: -0.05, 2: 0.2, 3: -0.05, 4: 0.25}))
    assert verdict.accepted == [0, 1, 2, 4]
    assert "2.40x a typical move" in verdict.reasons[3]


def test_the_reference_step_caps_the_typical_move_so_a_noise_majority_cannot_own_it() -> None:
    """Three of five updates are huge noise: the lower median is a noise move, but the
    public reference step's length is not, so the noise is rejected and the honest kept."""
    scores = [UpdateScore(i, True, 70.0 if i in (0, 1, 4) else 3.0, 0.5) for i in range(5)]
    view = ReferenceView({i: 0.02 for i in range(5)}, {i: 0.02 for i in range(5)}, step_norm=3.5)
    verdict = decide(scores, pioneer=False, subset_metrics=None, reference=lambda subset: view)
    assert verdict.accepted == [2, 3]
    assert all("over 4.0x the median 3.5" in verdict.reasons[i] for i in (0, 1, 4))


def _class_push_view(against: dict[int, float], head_moves: dict[int, float], head_step_norm: float = 0.0) -> ReferenceView:
    return ReferenceView({i: 0.3 for i in against}, {i: 0.3 for i in against}, against_class=against,
                         head_moves=head_moves, head_step_norm=head_step_norm)


def test_an_update_pushing_output_rows_away_from_their_classes_is_rejected() -> None:
    """Cosines to the reference look fine (label flipping early in training often does), but
    one update moves its output rows away from their own classes' public features by far
    more than honest non-IID training does (measured honest <= 0.24x its own output-layer
    move; label flips from round 3 on >= 0.46x)."""
    scores = [UpdateScore(i, True, 1.0, 0.01) for i in range(5)]
    view = _class_push_view({0: 0.05, 1: 0.6, 2: 0.22, 3: 0.0, 4: 0.1}, {i: 1.0 for i in range(5)})
    verdict = decide(scores, pioneer=False, subset_metrics=None, reference=lambda subset: view)
    assert verdict.accepted == [0, 2, 3, 4]
    assert "own classes' public features (0.60x its own output-layer move" in verdict.reasons[1]
    relaxed = decide(scores, pioneer=False, subset_metrics=None,
                     rule=VoteRule(class_push_max=0.7, own_class_push_max=0.7), reference=lambda subset: view)
    assert relaxed.accepted == [0, 1, 2, 3, 4]


def test_the_reference_head_step_caps_the_typical_output_layer_move() -> None:
    """Three of five flipped updates with big output-layer moves own the lower median (their
    push is then only ~0.27x of it); the public reference step's output-layer move is not
    theirs, so measured against it they are rejected and the honest two kept."""
    scores = [UpdateScore(i, True, 1.0, 0.01) for i in range(5)]
    against = {0: 0.8, 1: 0.8, 2: 0.02, 3: 0.03, 4: 0.8}
    moves = {0: 3.0, 1: 3.0, 2: 1.0, 3: 1.0, 4: 3.0}
    owned = decide(scores, pioneer=False, subset_metrics=None, reference=lambda subset: _class_push_view(against, moves))
    assert owned.accepted == [0, 1, 2, 3, 4]
    capped = decide(scores, pioneer=False, subset_metrics=None,
                    reference=lambda subset: _class_push_view(against, moves, head_step_norm=1.0))
    assert capped.accepted == [2, 3]


def test_class_push_does_not_apply_to_a_pioneer_or_without_measurements() -> None:
    pioneer = [UpdateScore(0, True, 1.0, 0.5)]
    view = ReferenceView({0: 0.3}, {0: 0.35}, against_class={0: 5.0}, head_moves={0: 1.0}, head_step_norm=1.0)
    assert decide(pioneer, pioneer=True, subset_metrics=None, reference=lambda subset: view).accepted == [0]
    scores = [UpdateScore(i, True, 1.0, 0.01) for i in range(3)]
    plain = ReferenceView({i: 0.3 for i in range(3)}, {i: 0.3 for i in range(3)})
    assert decide(scores, pioneer=False, subset_metrics=None, reference=lambda subset: plain).accepted == [0, 1, 2]


def _three_class_features(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Output-layer inputs of three well separated classes (20 samples each, 8 features):
    (features, labels, the classes' unit directions, the classes' mean features)."""
    from fedledger.learning.features import class_directions

    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(3), 20)
    features = 3.0 * np.eye(3, 8)[labels] + 0.3 * rng.standard_normal((60, 8))
    mu = np.stack([features[labels == c].mean(axis=0) for c in range(3)])
    return features, labels, class_directions(features, labels, 3), mu


def test_against_own_class_sees_a_flipped_row_not_an_honest_one() -> None:
    """Class features in three clusters: an honest delta pulls a class's row toward its
    features and pushes another row a little away from them; a flipped one (class 0 labelled
    2) pushes row 0 away from class 0's features with full force and pulls row 2 toward them."""
    from fedledger.learning.features import against_own_class, class_directions

    features, labels, directions, mu = _three_class_features(seed=1)
    assert np.allclose(np.linalg.norm(directions, axis=1), 1.0)
    honest = np.zeros((3, 8))
    honest[0] += mu[0]
    honest[1] -= 0.1 * mu[0]  # a row the proposer does not hold, pushed off its features
    flipped = np.zeros((3, 8))
    flipped[0] -= mu[0]
    flipped[2] += mu[0]
    assert against_own_class(honest, directions) < 0.1 * np.linalg.norm(honest)
    assert against_own_class(flipped, directions) > 0.5 * np.linalg.norm(flipped)
    assert against_own_class(np.zeros(24), directions) == 0.0  # not one row per class: not applicable
    empty = class_directions(features, labels, 4)
    assert not empty[3].any()  # a class without public samples has no direction


def test_own_class_pull_share_tells_a_skewed_honest_update_from_a_flipped_one() -> None:
    """An honest client holding only class 0 pulls row 0 toward class 0's features; a flipper
    holding class 0 labelled 2 pulls row 2 toward them: the share of own-class pull is 1 vs 0."""
    from fedledger.learning.features import own_class_pull_share

    _, _, directions, mu = _three_class_features(seed=2)
    honest = np.zeros((3, 8))
    honest[0] += mu[0]
    honest[1] -= 0.2 * mu[0]
    flipped = np.zeros((3, 8))
    flipped[0] -= 0.5 * mu[0]
    flipped[2] += mu[0]
    assert own_class_pull_share(honest, directions) > 0.9
    assert own_class_pull_share(flipped, directions) < 0.1
    mixed = honest + flipped  # half honest rows, half flipped: in between
    assert 0.2 < own_class_pull_share(mixed, directions) < 0.8  # type: ignore[operator]
    assert own_class_pull_share(np.zeros((3, 8)), directions) is None  # nothing pulled
    assert own_class_pull_share(np.zeros(24), directions) is None  # not one row per class


def test_known_classes_are_the_ones_the_model_names_reliably() -> None:
    """A class counts once the model is mostly right when it names it: a model that calls
    everything class 0 knows no class, and a flip of a to b (a's samples named b) takes b out
    of the check, never a."""
    from fedledger.learning.features import known_classes

    labels = np.repeat(np.arange(4), 10)
    everything_zero = np.zeros(40, dtype=int)
    assert not known_classes(everything_zero, labels, 4, 0.5).any()
    flipped = labels.copy()
    flipped[20:30] = 1  # class 2 named 1: precision(1) = 0.5, class 2 never named
    assert known_classes(flipped, labels, 4, 0.5).tolist() == [True, True, False, True]
    assert known_classes(flipped, labels, 4, 0.6).tolist() == [True, False, False, True]
    half = labels.copy()
    half[20:25] = 1  # half of class 2 named 1: precision(1) = 10/15, class 2 keeps 1.0
    assert known_classes(half, labels, 4, 0.7).tolist() == [True, False, True, True]
    assert known_classes(flipped, labels, 5, 0.0).tolist() == [True, True, True, True, False]  # 0: every class with samples


def test_class_push_is_only_measured_on_learned_features() -> None:
    """A linear model's output layer reads the raw input: there the class directions did not
    separate flips from honest non-IID updates, so the check is off for it."""
    from fedledger.learning.features import reads_learned_features
    from fedledger.learning.presets import digits_mlp_spec
    from fedledger.learning.train import initial_state, output_layer_key

    mlp = digits_mlp_spec()
    state = initial_state(mlp)
    assert reads_learned_features(state, output_layer_key(mlp))
    logreg = mlp.model_copy(update={"model": mlp.model.model_copy(update={"name": "logreg", "kwargs": {}})})
    linear = initial_state(logreg)
    assert not reads_learned_features(linear, output_layer_key(logreg))
