"""Task spec validation, canonical JSON and digest."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from fedledger.core.errors import ValidationError
from fedledger.learning.presets import digits28_cnn_spec, digits_mlp_spec
from fedledger.learning.spec import TaskSpec


def _valid() -> dict:
    return json.loads(digits_mlp_spec().canonical_json())


def test_roundtrip_and_digest() -> None:
    spec = digits_mlp_spec()
    raw = spec.canonical_json()
    assert b" " not in raw and b"\n" not in raw
    assert list(json.loads(raw)) == sorted(json.loads(raw))
    again = TaskSpec.from_json(raw)
    assert again == spec
    assert again.canonical_json() == raw
    assert spec.spec_digest() == hashlib.sha256(raw).digest()
    assert len(spec.spec_digest()) == 32
    assert digits_mlp_spec(seed=1).spec_digest() != spec.spec_digest()


def test_key_order_in_input_does_not_change_digest() -> None:
    data = _valid()
    reordered = dict(reversed(list(data.items())))
    assert TaskSpec.from_json(json.dumps(reordered, indent=2)).spec_digest() == digits_mlp_spec().spec_digest()


def test_json_schema_export() -> None:
    schema = TaskSpec.json_schema()
    assert schema["additionalProperties"] is False
    assert {"model", "dataset"} <= set(schema["required"])


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("local_epochs",), 0, "local_epochs"),
        (("batch_size",), -1, "batch_size"),
        (("learning_rate",), 0.0, "learning_rate"),
        (("metric",), "f1", "metric"),
        (("optimizer", "name"), "rmsprop", "optimizer.name"),
        (("optimizer", "momentum"), 1.5, "optimizer.momentum"),
        (("seed",), -3, "seed"),
        (("max_blob_bytes",), 0, "max_blob_bytes"),
        (("max_update_norm",), -1.0, "max_update_norm"),
        (("model", "name"), "", "model.name"),
        (("dataset", "num_classes"), 1, "dataset.num_classes"),
        (("dataset", "num_features"), 65, "dataset"),
        (("surprise",), 1, "surprise"),
        (("model", "extra"), 1, "model.extra"),
    ],
)
def test_invalid_field_is_named(path: tuple[str, ...], value: object, field: str) -> None:
    data = _valid()
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ValidationError, match=r"(: |; )" + re.escape(field) + ":"):
        TaskSpec.from_json(json.dumps(data).encode())


def test_missing_field_and_garbage() -> None:
    data = _valid()
    del data["model"]
    with pytest.raises(ValidationError, match=r"model: Field required"):
        TaskSpec.from_json(json.dumps(data))
    with pytest.raises(ValidationError, match="invalid task spec"):
        TaskSpec.from_json(b"{not json")


def test_shape_mismatch_message() -> None:
    data = _valid()
    data["dataset"]["input_shape"] = [1, 9, 9]
    with pytest.raises(ValidationError, match=r"81 elements but num_features is 64"):
        TaskSpec.from_dict(data)


def test_cnn_preset_valid() -> None:
    assert digits28_cnn_spec().dataset.num_features == 784
