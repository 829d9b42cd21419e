"""Publishing and fetching a task's public validation set by the hash its spec names."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fedledger.core.errors import IntegrityError
from fedledger.learning.data import Dataset
from fedledger.learning.spec import TaskSpec
from fedledger.node.specs import fetch_spec, fetch_validation_set, publish_validation_set
from fedledger.storage.cid import cid_from_digest
from fedledger.storage.local import LocalStore

SPEC = TaskSpec.from_dict(
    {
        "model": {"name": "logreg", "kwargs": {}},
        "dataset": {"name": "digits", "num_features": 64, "num_classes": 10, "input_shape": [64]},
    }
)


def _validation(n: int = 20) -> Dataset:
    rng = np.random.default_rng(1)
    return Dataset(rng.random((n, 64), dtype=np.float32), rng.integers(0, 10, n), 10, (64,))


def test_published_set_is_named_by_the_spec_and_fetched_back(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    assert fetch_validation_set(store, SPEC) is None
    spec = publish_validation_set(store, SPEC, _validation())
    assert spec.validation is not None and spec.validation.num_samples == 20
    assert spec.spec_digest() != SPEC.spec_digest()  # the on-chain spec hash covers the set
    store.put(spec.canonical_json())
    fetched = fetch_validation_set(store, fetch_spec(store, spec.spec_digest()))
    assert fetched is not None and np.array_equal(fetched.x, _validation().x)


def test_a_tampered_set_is_refused_on_read(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    spec = publish_validation_set(store, SPEC, _validation())
    assert spec.validation is not None
    path = next(p for p in tmp_path.rglob("*") if p.is_file())
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(IntegrityError):
        fetch_validation_set(store, spec)
    assert str(cid_from_digest(bytes.fromhex(spec.validation.hash[2:])))  # named by a real CID


def test_a_set_that_does_not_fit_the_schema_is_not_published(tmp_path: Path) -> None:
    wrong = Dataset(np.zeros((3, 8), np.float32), np.zeros(3, np.int64), 10, (8,))
    with pytest.raises(Exception, match="features|num_features|8"):
        publish_validation_set(LocalStore(tmp_path), SPEC, wrong)


def test_spec_warnings_name_an_uncalibrated_optimiser_and_a_schedule_of_other_length() -> None:
    from fedledger.learning.presets import digits_mlp_spec
    from fedledger.learning.spec import LearningRateSchedule, OptimizerSpec, ValidationSetSpec
    from fedledger.node.specs import spec_warnings

    public = ValidationSetSpec(hash="0x" + "ab" * 32, num_samples=150)
    assert spec_warnings(digits_mlp_spec(rounds=5).model_copy(update={"validation": public}), 5) == []
    momentum = OptimizerSpec(name="sgd", momentum=0.9)
    sgd = digits_mlp_spec().model_copy(update={"validation": public, "optimizer": momentum})
    assert any("calibrated for Adam" in w for w in spec_warnings(sgd, 5))
    assert spec_warnings(sgd.model_copy(update={"validation": None}), 5) == []  # no public set: rule step 6 is off
    cosine = sgd.model_copy(
        update={"optimizer": OptimizerSpec(name="adam"), "learning_rate_schedule": LearningRateSchedule(kind="cosine", rounds=20)}
    )
    assert spec_warnings(cosine, 20) == []
    assert spec_warnings(cosine, 10) == ["the learning-rate schedule spans 20 rounds but the task has 10"]
