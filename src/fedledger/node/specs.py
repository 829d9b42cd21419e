"""What a task names by hash: fetching the spec (every role of every task kind starts
here), and publishing / fetching the spec's optional public validation set."""

from __future__ import annotations

from fedledger.core.errors import IntegrityError
from fedledger.core.types import digest_from_hex
from fedledger.learning.data import Dataset
from fedledger.learning.dataset_blob import decode_dataset, encode_dataset
from fedledger.learning.spec import TaskSpec, ValidationSetSpec
from fedledger.storage.base import BlobStore
from fedledger.storage.cid import cid_from_digest, digest_of


def fetch_spec(store: BlobStore, spec_hash: bytes) -> TaskSpec:
    """Fetch the task spec by its on-chain hash and check it hashes back to it.

    The store already verifies the blob's sha-256; re-deriving the digest from the parsed
    spec's canonical JSON also rejects a blob that is valid JSON but not canonical.
    """
    blob = store.get(cid_from_digest(spec_hash))
    spec = TaskSpec.from_json(blob)
    if spec.spec_digest() != bytes(spec_hash):
        raise IntegrityError(
            f"task spec {cid_from_digest(spec_hash)} is not in canonical form: its canonical JSON hashes to "
            f"{spec.spec_digest().hex()}; publish the spec with TaskSpec.canonical_json()"
        )
    return spec


def fetch_validation_set(store: BlobStore, spec: TaskSpec) -> Dataset | None:
    """The spec's public validation set (hash-verified by the store, schema-checked), or None.

    The spec is itself hash-checked against the chain, so the set's hash inside it is as
    trustworthy as the on-chain `specHash`.
    """
    if spec.validation is None:
        return None
    blob = store.get(cid_from_digest(digest_from_hex(spec.validation.hash)), max_blob_bytes=spec.max_blob_bytes)
    return decode_dataset(blob, spec.dataset, spec.validation.num_samples)


def publish_validation_set(store: BlobStore, spec: TaskSpec, data: Dataset) -> TaskSpec:
    """Store `data` as the task's public validation set; return the spec naming it.

    The creator's side of `fetch_validation_set`: the returned spec (not the one passed in)
    is the one to publish and put on-chain, since its hash now covers the set's hash.
    """
    data.check_schema(spec.dataset)
    blob = encode_dataset(data)
    cid = store.put(blob, max_blob_bytes=spec.max_blob_bytes)
    named = ValidationSetSpec(hash="0x" + digest_of(cid).hex(), num_samples=len(data))
    return TaskSpec.from_dict({**spec.model_dump(mode="json"), "validation": named.model_dump(mode="json")})


def spec_warnings(spec: TaskSpec, rounds: int) -> list[str]:
    """What a task creator should know before posting `spec` for a task of `rounds` rounds.

    Why: the voters' public-reference rule (`node.voting`, step 6) was calibrated on Adam
    with a decaying rate; under SGD with momentum 0.9 honest updates measured class pushes
    up to 0.49 of their own output-layer move, over the 0.35 cut, so honest proposers could
    be rejected and slashed. And a cosine schedule spanning other than the task's rounds
    either stops decaying early or never reaches its end.
    """
    warnings: list[str] = []
    if spec.validation is not None and spec.optimizer.name != "adam":
        warnings.append(
            f"the vote rule's public-reference constants are calibrated for Adam; with "
            f"{spec.optimizer.name} (momentum {spec.optimizer.momentum}) honest updates may be rejected: "
            "use optimizer 'adam' or recalibrate VoteRule"
        )
    schedule = spec.learning_rate_schedule
    if schedule.kind != "constant" and schedule.rounds != rounds:
        warnings.append(f"the learning-rate schedule spans {schedule.rounds} rounds but the task has {rounds}")
    return warnings
