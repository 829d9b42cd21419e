"""Local training, evaluation and the plain FedAvg baseline."""

from __future__ import annotations

import pytest
import torch

from fedledger.core.errors import UpdateValidationError, ValidationError
from fedledger.learning.baseline import make_federation, run_fedavg_baseline
from fedledger.learning.data import Dataset, load_digits, make_synthetic
from fedledger.learning.presets import digits_mlp_spec
from fedledger.learning.spec import TaskSpec
from fedledger.learning.train import derive_seed, evaluate, initial_state, train_local
from fedledger.learning.updates import state_to_bytes, validate_update


def test_train_is_deterministic_and_learns(small_spec: TaskSpec, small_data: Dataset) -> None:
    start = initial_state(small_spec)
    before = evaluate(start, small_spec, small_data)
    a, n = train_local(start, small_spec, small_data, seed=5)
    b, _ = train_local(start, small_spec, small_data, seed=5)
    c, _ = train_local(start, small_spec, small_data, seed=6)
    assert n == len(small_data)
    assert state_to_bytes(a) == state_to_bytes(b)
    assert state_to_bytes(a) != state_to_bytes(c)
    after = evaluate(a, small_spec, small_data)
    assert after["loss"] < before["loss"]
    assert set(after) == {"accuracy", "loss", "num_samples"}
    validate_update(a, start)  # a trained update passes the voter checks
    assert not torch.equal(a["0.weight"], start["0.weight"])  # training did not touch the input...
    assert state_to_bytes(start) == state_to_bytes(initial_state(small_spec))  # ...nor mutate it


def test_adam_and_logreg(small_spec: TaskSpec, small_data: Dataset) -> None:
    spec = small_spec.model_copy(update={"optimizer": small_spec.optimizer.model_copy(update={"name": "adam"})})
    state, _ = train_local(None, spec, small_data, seed=1)
    assert evaluate(state, spec, small_data)["accuracy"] > 0.8


def test_train_errors(small_spec: TaskSpec, small_data: Dataset) -> None:
    with pytest.raises(ValidationError, match="num_features is 6"):
        train_local(None, small_spec, make_synthetic(10, 5, 3, seed=0), seed=0)
    with pytest.raises(ValidationError, match="empty"):
        train_local(None, small_spec, small_data.subset([]), seed=0)  # type: ignore[arg-type]
    wrong = {"0.weight": torch.zeros(2, 2)}
    with pytest.raises(UpdateValidationError, match="does not fit model 'mlp'"):
        evaluate(wrong, small_spec, small_data)


def test_derive_seed_stable() -> None:
    assert derive_seed(1, 2, 3) == derive_seed(1, 2, 3)
    assert derive_seed(1, 2, 3) != derive_seed(1, 23)
    assert 0 <= derive_seed("x") < 2**63


def test_baseline_small_runs(small_spec: TaskSpec, small_data: Dataset) -> None:
    clients, test = make_federation(small_data, 3, seed=0)
    seen: list[int] = []
    result = run_fedavg_baseline(small_spec, clients, 2, test, on_round=lambda r: seen.append(r.round))
    assert seen == [0, 1] and len(result.accuracies) == 2
    again = run_fedavg_baseline(small_spec, clients, 2, test)
    assert state_to_bytes(again.final_state) == state_to_bytes(result.final_state)
    with pytest.raises(ValidationError, match="rounds"):
        run_fedavg_baseline(small_spec, clients, 0, test)


def test_baseline_digits_iid_reaches_093() -> None:
    """The yardstick: plain FedAvg, digits, 10 IID clients, 10 rounds (about 2 s)."""
    spec = digits_mlp_spec(seed=0)
    clients, test = make_federation(load_digits(), 10, seed=0, scheme="iid")
    assert len(clients) == 10 and len(test) == 359
    result = run_fedavg_baseline(spec, clients, 10, test)
    assert result.accuracies[-1] >= 0.93, result.accuracies
    assert result.accuracies[-1] > result.initial_accuracy + 0.5


def test_the_learning_rate_schedule_decays_the_rate_round_by_round(small_spec: TaskSpec, small_data: Dataset) -> None:
    """A cosine schedule over 4 rounds: full rate in round 0, the final share from round 4 on;
    training in a round whose rate is 0 leaves the model unchanged, the same round under a
    constant schedule does not."""
    from fedledger.learning.spec import LearningRateSchedule

    cosine = LearningRateSchedule(kind="cosine", rounds=4, final_factor=0.0)
    assert [round(cosine.factor(r), 4) for r in range(6)] == [1.0, 0.8536, 0.5, 0.1464, 0.0, 0.0]
    assert LearningRateSchedule(kind="cosine", rounds=4, final_factor=0.1).factor(4) == pytest.approx(0.1)
    assert LearningRateSchedule().factor(7) == 1.0
    spec = small_spec.model_copy(update={"learning_rate_schedule": cosine})
    assert spec.learning_rate_at(2) == pytest.approx(small_spec.learning_rate / 2)
    start = initial_state(spec)
    frozen, _ = train_local(start, spec, small_data, seed=3, round_index=4)
    assert state_to_bytes(frozen) == state_to_bytes(start)
    moved, _ = train_local(start, small_spec, small_data, seed=3, round_index=4)
    assert state_to_bytes(moved) != state_to_bytes(start)


def test_a_schedule_that_fails_validation_names_its_field() -> None:
    spec = digits_mlp_spec(0).model_dump(mode="json")
    spec["learning_rate_schedule"] = {"kind": "step", "rounds": 0}
    with pytest.raises(ValidationError, match="learning_rate_schedule.kind") as info:
        TaskSpec.from_dict(spec)
    assert "learning_rate_schedule.rounds" in str(info.value)


def test_evaluation_does_not_depend_on_the_batch_size(small_spec: TaskSpec, small_data: Dataset) -> None:
    state, _ = train_local(None, small_spec, small_data, seed=3)
    results = [evaluate(state, small_spec, small_data, batch_size=b) for b in (7, 64, len(small_data))]
    assert {r["accuracy"] for r in results} == {results[0]["accuracy"]}
    assert max(r["loss"] for r in results) - min(r["loss"] for r in results) < 1e-12


@pytest.mark.parametrize("optimizer", [{"name": "adam", "weight_decay": 1e-4}, {"name": "sgd", "momentum": 0.9, "weight_decay": 1e-4}])
def test_the_multi_tensor_optimiser_trains_to_the_same_bytes_as_the_loop(
    small_spec: TaskSpec, small_data: Dataset, optimizer: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Local training uses `foreach=True` for speed; a model must not change by a bit for it."""
    import fedledger.learning.train as train_module

    spec = small_spec.model_copy(update={"optimizer": small_spec.optimizer.model_copy(update=optimizer)})
    fast, _ = train_local(None, spec, small_data, seed=11)
    for name in ("Adam", "SGD"):
        original = getattr(torch.optim, name)
        monkeypatch.setattr(
            train_module.torch.optim, name,
            lambda params, _original=original, **kw: _original(params, **{**kw, "foreach": False}),
        )
    loop, _ = train_local(None, spec, small_data, seed=11)
    assert state_to_bytes(fast) == state_to_bytes(loop)
