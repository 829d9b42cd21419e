"""What a voter measures about a round's updates (`RoundEvidence`): the public measurements
must not depend on the voter's private data, and each costly part is computed once."""

from __future__ import annotations

import numpy as np
import pytest

from fedledger.learning.data import Dataset, make_synthetic
from fedledger.learning.similarity import cosine, median_cosines, step_cosines
from fedledger.learning.spec import DatasetSpec, ModelSpec, OptimizerSpec, TaskSpec
from fedledger.learning.train import initial_state, output_layer_key, train_local
from fedledger.node.evidence import RoundEvidence
from fedledger.node.learner import Learner, fedavg
from fedledger.node.seeds import reference_seed

SPEC = TaskSpec(
    model=ModelSpec(name="mlp", kwargs={"hidden": [8]}),
    dataset=DatasetSpec(name="synthetic", num_features=6, num_classes=3, input_shape=(6,), num_samples=400),
    local_epochs=1,
    batch_size=16,
    learning_rate=0.05,
    optimizer=OptimizerSpec(name="sgd", momentum=0.9),
    seed=7,
)
_POOL = make_synthetic(460, 6, 3, seed=1)
DATA = _POOL.subset(np.arange(400))
PUBLIC = _POOL.subset(np.arange(400, 460))
"""the spec's public validation set: the same distribution as the clients' data"""


def _round(
    previous: object = None,
    calls: list[int] | None = None,
    private: Dataset | None = None,
    known_class_min: float = 0.0,
    global_state: dict | None = None,
) -> RoundEvidence:
    """Round 3's evidence on three updates trained from the same global model by three clients."""
    global_state = global_state or initial_state(SPEC)
    shares = [DATA.subset(np.arange(i * 100, (i + 1) * 100)) for i in range(3)]
    valid = {i: train_local(global_state, SPEC, shares[i], seed=10 + i)[:2] for i in range(3)}
    learner = Learner(SPEC, private if private is not None else DATA.subset(np.arange(300, 400)), "0x" + "11" * 20)

    def previous_global() -> object:
        if calls is not None:
            calls.append(1)
        return previous

    return RoundEvidence(
        learner, 3, global_state, valid, validation=PUBLIC, head_key=output_layer_key(SPEC),
        previous_global=previous_global, timings={"aggregate": 0.0}, known_class_min=known_class_min,
    )


def _delta(ev: RoundEvidence, i: int) -> np.ndarray:
    return ev.learner.flatten(ev.valid[i][0]) - ev.learner.flatten(ev.global_state)


def test_direction_and_aggregate_match_their_definitions_and_are_cached() -> None:
    ev = _round()
    cosines = ev.direction((0, 1, 2))
    assert cosines == median_cosines({i: _delta(ev, i) for i in range(3)})
    assert all(0.0 < c <= 1.0 for c in cosines.values())
    agg = ev.aggregate((0, 2))
    expected = fedavg([ev.valid[0][0], ev.valid[2][0]], [ev.valid[0][1], ev.valid[2][1]])
    assert all(np.array_equal(agg[k], expected[k]) for k in expected)
    assert ev.aggregate((0, 2)) is agg  # one FedAvg per subset, however often the rule asks
    assert ev._timings["aggregate"] > 0


def test_public_measurements_do_not_depend_on_the_voters_private_data() -> None:
    """Honest voters must agree on the reference view bit for bit, so it may read only the
    updates, the global model and the public set; local metrics are the voter's own."""
    a = _round(private=DATA.subset(np.arange(300, 350)))
    b = _round(private=make_synthetic(80, 6, 3, seed=9))
    subset = (0, 1, 2)
    assert a.reference(subset) == b.reference(subset)
    assert a.direction(subset) == b.direction(subset)
    assert a.subset_metrics(subset) != b.subset_metrics(subset)


def test_reference_view_compares_each_update_with_the_public_training_step() -> None:
    ev = _round()
    view = ev.reference((0, 1))
    # the defence's own cost is booked apart from aggregation, once per round however often asked
    spent = ev._timings["reference"]
    assert spent > 0
    ev.reference((0, 1, 2))
    assert ev._timings["reference"] == spent
    assert set(view.whole_model) == set(view.output_layer) == set(view.head_moves) == {0, 1}
    assert view.step_norm > 0 and view.head_step_norm > 0
    assert view.against_class.keys() == {0, 1}  # the MLP's output layer reads learned features
    assert view.own_pull_share.keys() == {0, 1} and all(0.0 <= v <= 1.0 for v in view.own_pull_share.values())
    # Honest clients trained on data like the public set move the same way as the reference.
    assert all(c > 0 for c in view.whole_model.values())
    # The reference is the global model trained on the public set with the round's seed and rate.
    trained = train_local(ev.global_state, SPEC, PUBLIC, reference_seed(SPEC.seed, 3), round_index=3)[0]
    assert np.array_equal(ev._reference_step().whole, ev.learner.flatten(trained) - ev.learner.flatten(ev.global_state))
    assert view.whole_model[0] == cosine(_delta(ev, 0), ev._reference_step().whole)


def test_previous_step_is_fetched_once_and_absent_without_a_previous_model() -> None:
    calls: list[int] = []
    ev = _round(previous=None, calls=calls)
    assert ev.previous_step((0, 1, 2)) is None
    assert ev.previous_step((0, 1)) is None
    assert calls == [1]

    start = _round()
    shifted = {k: v - 0.01 for k, v in start.global_state.items()}  # the model one step earlier
    calls = []
    ev = _round(previous=shifted, calls=calls)
    step = ev.learner.flatten(ev.global_state) - ev.learner.flatten(shifted)
    view = ev.previous_step((0, 1, 2))
    assert view is not None and calls == [1]
    cosines, median_cosine = step_cosines({i: _delta(ev, i) for i in range(3)}, step)
    assert view.cosines == cosines and view.median_cosine == median_cosine
    assert view.step_norm == pytest.approx(float(np.linalg.norm(step)))
    ev.previous_step((0, 1))
    assert calls == [1]


def test_the_class_push_counts_only_classes_the_global_model_knows() -> None:
    """An untrained model knows no class, so no row is judged by its class's features; once
    the model has learnt the classes their rows are."""
    fresh = _round(known_class_min=0.5)
    assert fresh._reference_step().directions is not None
    assert not fresh._reference_step().directions.any()
    # the pull share reads every class's direction, named reliably or not
    assert fresh._reference_step().all_directions is not None and fresh._reference_step().all_directions.any()
    assert set(fresh.reference((0, 1, 2)).against_class.values()) == {0.0}
    trained = train_local(initial_state(SPEC), SPEC.model_copy(update={"local_epochs": 20}), DATA, seed=3)[0]
    learnt = _round(known_class_min=0.5, global_state=trained)
    assert np.count_nonzero(np.abs(learnt._reference_step().directions).sum(axis=1)) == 3
    # the share of classes named reliably is what tells the vote rule the model is still young
    assert fresh.reference((0, 1, 2)).known_share == 0.0
    assert learnt.reference((0, 1, 2)).known_share == 1.0
