"""Fetching a task spec by its on-chain hash: every role of every task kind starts here."""

from __future__ import annotations

from fedledger.core.errors import IntegrityError
from fedledger.learning.spec import TaskSpec
from fedledger.storage.base import BlobStore
from fedledger.storage.cid import cid_from_digest


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
