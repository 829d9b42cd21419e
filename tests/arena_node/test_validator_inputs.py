"""Validator-side bad input: an evaluation set that is not the committed one, malformed models."""

from __future__ import annotations

import io

import logging
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save

from fedledger.core.errors import ConfigError, IntegrityError, ValidationError
from fedledger.core.records import ArenaPhase
from fedledger.learning.data import Dataset
from fedledger.learning.train import initial_state
from fedledger.learning.updates import state_to_bytes
from fedledger.node.arena import (
    ArenaTrainer,
    ArenaValidator,
    decode_eval_set,
    encode_eval_set,
    make_validator_behaviour,
)
from fedledger.storage.cid import cid_from_digest, digest_of

from .helpers import TOKEN, small_arena, tiny_spec


def _register_and_submit(env, validator: ArenaValidator) -> ArenaTrainer:
    trainer = ArenaTrainer(env.task, env.store, env.person(1), env.train_data, env.root / "t")
    assert validator.step().startswith("registered as validator")
    assert trainer.step() == "registered as trainer"
    assert trainer.step().startswith("submitted model")  # the only slot: submission phase ends
    assert env.task.phase() is ArenaPhase.COMMIT
    env.task.draw_validators(env.stack.owner)
    return trainer


def test_eval_set_whose_hash_does_not_match_is_refused_and_nothing_is_committed(tmp_path: Path) -> None:
    env = small_arena(tmp_path)
    # the creator "announces" a different evaluation set than the one the task committed to
    other = Dataset(env.eval_set.x[:50], env.eval_set.y[:50], 10, (1, 8, 8))
    wrong_cid = env.store.put(encode_eval_set(other))
    validator = ArenaValidator(env.task, env.store, env.person(2), tmp_path / "v", TOKEN, eval_set_cid=wrong_cid)
    _register_and_submit(env, validator)
    with pytest.raises(IntegrityError, match="evalSetHash"):
        validator.step()
    assert not env.task.vote_of(0, validator.address).committed
    assert not list((tmp_path / "v").rglob("score-*.json"))


def test_tampered_eval_set_blob_in_the_store_is_refused(tmp_path: Path) -> None:
    env = small_arena(tmp_path)
    validator = ArenaValidator(env.task, env.store, env.person(2), tmp_path / "v", TOKEN)
    _register_and_submit(env, validator)
    path = env.store.path_of(cid_from_digest(env.task.config().eval_set_hash))
    path.chmod(0o644)
    path.write_bytes(encode_eval_set(Dataset(env.eval_set.x, np.zeros_like(env.eval_set.y), 10, (1, 8, 8))))
    with pytest.raises(IntegrityError):
        validator.step()
    assert not env.task.vote_of(0, validator.address).committed


def test_malformed_missing_and_wrong_architecture_models_score_zero(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    env = small_arena(tmp_path, max_trainers=4)
    validator = ArenaValidator(env.task, env.store, env.person(2), tmp_path / "v", TOKEN)
    assert validator.step().startswith("registered")
    good = ArenaTrainer(env.task, env.store, env.person(1), env.train_data, tmp_path / "t")
    good.step()
    good.step()
    wide = tiny_spec().model_copy(update={"model": tiny_spec().model.model_copy(update={"kwargs": {"hidden": [9]}})})
    blobs = [
        b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}garbage",  # not safetensors
        None,  # never published
        state_to_bytes(initial_state(wide)),  # valid safetensors, wrong shapes
    ]
    for i, blob in enumerate(blobs):
        acc = env.person(1)
        env.task.register_trainer(acc)
        digest = bytes(digest_of(env.store.put(blob))) if blob is not None else bytes([0xAB]) * 32
        env.task.submit_model(digest, acc)
    env.task.draw_validators(env.stack.owner)
    with caplog.at_level(logging.WARNING, logger="fedledger.node.arena.validator"):
        assert validator.step().startswith("committed scores")
    assert validator.scores[0] > 100_000  # the honest model beats chance on digits
    assert [validator.scores[i] for i in (1, 2, 3)] == [0, 0, 0]
    assert "not a valid safetensors blob" in validator.reasons[1] or "safetensors" in validator.reasons[1]
    assert "not found" in validator.reasons[2].lower()
    assert "shape" in validator.reasons[3]
    assert sum("scoring it 0" in r.message for r in caplog.records) == 3
    assert validator.step().startswith("revealed scores for 0, 1, 2, 3")
    assert [env.task.vote_of(i, validator.address).score for i in range(4)] == [validator.scores[i] for i in range(4)]


def test_a_restarted_validator_reveals_what_it_committed(tmp_path: Path) -> None:
    env = small_arena(tmp_path)
    account = env.person(2)
    first = ArenaValidator(env.task, env.store, account, tmp_path / "v", TOKEN)
    _register_and_submit(env, first)
    assert first.step().startswith("committed scores 0:")
    # the process dies here; a fresh one on the same state dir must reveal the same score
    second = ArenaValidator(env.task, env.store, account, tmp_path / "v", TOKEN)
    assert second.step() == "revealed scores for 0"
    assert env.task.vote_of(0, account.address).score == first.scores[0]


def test_eval_set_decoding_refuses_bad_blobs() -> None:
    spec = tiny_spec()
    with pytest.raises(ValidationError, match="evaluation set is not a valid safetensors blob"):
        decode_eval_set(b"plain bytes", spec)
    # An .npz archive (the format a pickle-capable loader would accept) is refused outright.
    buf = io.BytesIO()
    np.savez(buf, x=np.zeros((3, 64), dtype=np.float32), y=np.zeros(3, dtype=np.int64))
    with pytest.raises(ValidationError, match="not a valid safetensors blob"):
        decode_eval_set(buf.getvalue(), spec)
    with pytest.raises(ValidationError, match="evaluation set features"):
        decode_eval_set(save({"x": np.zeros((3, 5), np.float32), "y": np.zeros(3, np.int64)}), spec)
    with pytest.raises(ValidationError, match="exactly the tensors x and y"):
        decode_eval_set(save({"x": np.zeros((3, 64), np.float32)}), spec)
    with pytest.raises(ValidationError, match="labels must lie in"):
        decode_eval_set(save({"x": np.zeros((3, 64), np.float32), "y": np.full(3, 10, np.int64)}), spec)


def test_eval_set_round_trips_byte_deterministically() -> None:
    data = Dataset(np.random.default_rng(1).random((20, 64), dtype=np.float32), np.arange(20) % 10, 10, (1, 8, 8))
    blob = encode_eval_set(data)
    assert encode_eval_set(data) == blob
    back = decode_eval_set(blob, tiny_spec())
    assert np.array_equal(back.x, data.x) and np.array_equal(back.y, data.y)


def test_unknown_behaviour_and_bad_trainer_budget_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="liar"):
        make_validator_behaviour("sleepy")
    env = small_arena(tmp_path)
    with pytest.raises(ConfigError, match="epochs"):
        ArenaTrainer(env.task, env.store, env.person(1), env.train_data, tmp_path / "t", epochs=0)


def test_creator_hands_the_eval_set_only_to_drawn_validators(tmp_path: Path) -> None:
    """The set stays off the shared store (trainers could fit it) and off undrawn addresses."""
    env = small_arena(tmp_path)
    private = type(env.creator)(
        env.stack.factory, env.store, env.creator.account, env.spec, env.eval_set
    )  # same creator, keeping its set private
    private.task = env.task
    validator = ArenaValidator(
        env.task, env.store, env.person(2), tmp_path / "v", TOKEN, eval_set_source=private.hand_eval_set
    )
    with pytest.raises(ValidationError, match="only to drawn validators"):
        private.hand_eval_set(env.person(3).address)
    _register_and_submit(env, validator)
    assert validator.step().startswith("committed")  # drawn: received, verified, scored
    with pytest.raises(ValidationError, match="only to drawn validators"):
        private.hand_eval_set(env.person(1).address)  # the trainer asks: refused


def test_eval_set_from_the_creator_that_does_not_match_is_refused(tmp_path: Path) -> None:
    env = small_arena(tmp_path)
    forged = encode_eval_set(Dataset(env.eval_set.x[:50], env.eval_set.y[:50], 10, (1, 8, 8)))
    validator = ArenaValidator(
        env.task, env.store, env.person(2), tmp_path / "v", TOKEN, eval_set_source=lambda _address: forged
    )
    _register_and_submit(env, validator)
    with pytest.raises(IntegrityError, match="evalSetHash"):
        validator.step()
    assert not env.task.vote_of(0, validator.address).committed
