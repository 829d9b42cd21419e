"""Process entry points for the concurrency tests (a module of its own so `spawn` can import them)."""

from __future__ import annotations

import random
from typing import Any

from fedledger.core.errors import IntegrityError
from fedledger.storage import BlobNotFoundError, LocalStore, cid_for

BLOB_BYTES = 1 << 20  # big enough that a non-atomic write would be visible half-done


def blob(seed: int) -> bytes:
    """Deterministic content shared by writers and readers."""
    return random.Random(seed).randbytes(BLOB_BYTES)


def writer(root: str, shared_seeds: list[int], own_seed: int, rounds: int, barrier: Any, out: Any) -> None:
    """Put the shared blobs and this writer's own blob, `rounds` times each, after a common start."""
    store = LocalStore(root)
    barrier.wait()
    cids = []
    for _ in range(rounds):
        for seed in [*shared_seeds, own_seed]:
            cids.append(str(store.put(blob(seed))))
    out.put(("writer", own_seed, cids))


def reader(root: str, seeds: list[int], max_attempts: int, barrier: Any, out: Any) -> None:
    """Read the blobs while they are being written, until each was seen whole once.

    Reports how many distinct blobs were seen whole and how many reads were not whole
    (a partial blob fails verification with `IntegrityError`).
    """
    store = LocalStore(root)
    cids = [cid_for(blob(s)) for s in seeds]
    barrier.wait()
    seen: set[int] = set()
    partial = 0
    for i in range(max_attempts):
        k = i % len(cids)
        try:
            store.get(cids[k])
            seen.add(k)
        except BlobNotFoundError:
            continue
        except IntegrityError:
            partial += 1
        if len(seen) == len(cids):
            break
    out.put(("reader", len(seen), partial))
