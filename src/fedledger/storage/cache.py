"""A read-through cache: a slow or remote store fronted by a fast local one.

Typical use: a node reads the same model blobs many times per round (every voter fetches
every update); with `CachedStore(KuboStore(url), LocalStore(dir))` each blob crosses the
network once. Both layers verify on read (`BlobStore.get`), so a corrupt cache entry is
never served: it is re-fetched from the primary and rewritten.
"""

from __future__ import annotations

from multiformats import CID

from fedledger.core.errors import IntegrityError
from fedledger.storage.base import BlobNotFoundError, BlobStore


class CachedStore(BlobStore):
    """Writes go to both stores; reads try `cache` first and fill it from `primary` on a miss."""

    def __init__(self, primary: BlobStore, cache: BlobStore) -> None:
        self.primary = primary
        self.cache = cache

    def __repr__(self) -> str:
        return f"CachedStore({self.primary!r}, cache={self.cache!r})"

    def _store(self, cid: CID, data: bytes) -> None:
        # Primary first: a blob is only "stored" once the authoritative backend has it.
        self.primary._store(cid, data)
        self.cache._store(cid, data)

    def _load(self, cid: CID, max_blob_bytes: int | None) -> bytes:
        try:
            return self.cache.get(cid, max_blob_bytes=max_blob_bytes)
        except BlobNotFoundError:
            pass  # a miss: fetch from the primary
        except IntegrityError:
            pass  # corrupt cache entry: re-fetch and overwrite it
        data = self.primary.get(cid, max_blob_bytes=max_blob_bytes)
        self.cache._store(cid, data)
        return data

    def _contains(self, cid: CID) -> bool:
        return self.cache.has(cid) or self.primary.has(cid)
