"""Fetching and checking what an Arena task points to: its spec, its evaluation set, its models.

Why one module: every check a role runs on something it downloads lives here, so the trainer,
the validator and the creator agree byte for byte on what "the evaluation set" or "a valid model"
is. The evaluation set is a safetensors blob of two tensors (`x`, `y`), the codec of
`fedledger.learning.dataset_blob` (a blob from a stranger must not run code). Models are safetensors, checked against the
architecture the spec names. Scores are fixed point (`ARENA_SCORE_SCALE` = 1.0), higher is better.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from fedledger.core.errors import IntegrityError, UpdateValidationError
from fedledger.core.records import ARENA_SCORE_SCALE
from fedledger.learning.data import Dataset
from fedledger.learning.dataset_blob import decode_dataset, encode_dataset
from fedledger.learning.spec import TaskSpec
from fedledger.learning.train import evaluate, initial_state
from fedledger.learning.updates import bytes_to_state, validate_update
from fedledger.node.specs import fetch_spec
from fedledger.storage.base import BlobStore
from fedledger.storage.cid import CidLike, cid_from_digest, parse_cid

#: Largest evaluation set blob a validator downloads (a bound so a creator cannot exhaust memory).
MAX_EVAL_SET_BYTES = 256 * 1024 * 1024




# ---------------------------------------------------------------------- evaluation set
def encode_eval_set(data: Dataset) -> bytes:
    """The evaluation set as deterministic bytes, so the creator's `evalSetHash` is reproducible
    (the same safetensors codec as an Alliance task's public validation set)."""
    return encode_dataset(data)


def decode_eval_set(blob: bytes, spec: TaskSpec) -> Dataset:
    """Parse an evaluation set blob and check it against the spec's data schema (safetensors:
    parsing a stranger's blob cannot run code)."""
    return decode_dataset(blob, spec.dataset, what="evaluation set")


def fetch_eval_set(store: BlobStore, eval_set_hash: bytes, spec: TaskSpec, cid: CidLike | None = None) -> Dataset:
    """Fetch the evaluation set the creator announced (`cid`, default: the one named by the
    on-chain hash) and check its sha-256 against the on-chain `evalSetHash`.

    Raises `IntegrityError` when the announced set is not the one the task committed to: a
    validator must never score on a set the trainers could not have been judged by.
    """
    wanted = cid_from_digest(eval_set_hash)
    target = parse_cid(cid) if cid is not None else wanted
    blob = store.get(target, max_blob_bytes=MAX_EVAL_SET_BYTES)
    return verify_eval_set(blob, eval_set_hash, spec, source=str(target))


def verify_eval_set(blob: bytes, eval_set_hash: bytes, spec: TaskSpec, source: str) -> Dataset:
    """Check a received evaluation set against the on-chain `evalSetHash`, then parse it.

    Raises `IntegrityError` when it is not the set the task committed to: a validator must
    never score on a set the trainers could not have been judged by.
    """
    got = hashlib.sha256(blob).digest()
    if got != bytes(eval_set_hash):
        raise IntegrityError(
            f"evaluation set from {source} hashes to {got.hex()} but the task's evalSetHash is "
            f"{bytes(eval_set_hash).hex()} (CID {cid_from_digest(eval_set_hash)}); refusing to score on it: "
            f"get the committed set from the creator"
        )
    return decode_eval_set(blob, spec)


# ---------------------------------------------------------------------- models
def fetch_model(store: BlobStore, model_hash: bytes, spec: TaskSpec) -> dict[str, Any]:
    """The submitted model with on-chain hash `model_hash`: fetched (hash-checked by the store),
    parsed as safetensors and checked against the spec's architecture (names, shapes, dtypes,
    finite values). Raises `StorageError`, `IntegrityError` or `UpdateValidationError`."""
    blob = store.get(cid_from_digest(model_hash), max_blob_bytes=spec.max_blob_bytes)
    state = bytes_to_state(blob, max_bytes=spec.max_blob_bytes)
    validate_update(state, initial_state(spec), max_norm=None)
    return state


def score_state(spec: TaskSpec, state: Any, data: Dataset) -> int:
    """The spec's metric of `state` on `data` as a fixed-point score in [0, ARENA_SCORE_SCALE].

    Accuracy maps directly; a loss metric maps to 1 / (1 + loss) so higher is better and the value
    stays in (0, 1]. Rounded half-up, so equal evaluations give equal integers everywhere.
    """
    result = evaluate(state, spec, data)  # a state that does not fit the model raises UpdateValidationError
    value = float(result["accuracy"]) if spec.metric == "accuracy" else 1.0 / (1.0 + float(result["loss"]))
    if not np.isfinite(value):
        raise UpdateValidationError(f"model's {spec.metric} on the evaluation set is not finite ({value})")
    return max(0, min(ARENA_SCORE_SCALE, int(value * ARENA_SCORE_SCALE + 0.5)))
