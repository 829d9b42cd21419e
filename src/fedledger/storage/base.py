"""The one interface every blob backend implements, with the checks they all share.

`BlobStore.put` and `BlobStore.get` are template methods: the size limit, CID computation
and integrity verification live here once, and a backend only moves bytes
(`_store`, `_load`, `_contains`). A backend therefore cannot forget to verify a read.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from multiformats import CID

from fedledger.core.errors import StorageError
from fedledger.storage.cid import CidLike, cid_for, parse_cid, verify_blob


def check_size(size: int, max_blob_bytes: int | None, what: str) -> None:
    """Refuse a blob of `size` bytes when it exceeds the task's `max_blob_bytes` limit."""
    if max_blob_bytes is None:
        return
    if max_blob_bytes < 0:
        raise StorageError(f"max_blob_bytes must be >= 0, got {max_blob_bytes}")
    if size > max_blob_bytes:
        raise StorageError(
            f"{what} is {size} bytes, over the limit of {max_blob_bytes} bytes set by the task "
            "spec; shrink the blob or raise the spec's limit"
        )


class BlobStore(ABC):
    """Content-addressed, immutable blob storage: `put(bytes) -> CID`, `get(CID) -> bytes`.

    Ids are CIDv1/raw/sha2-256 (see `fedledger.storage.cid`). `put` is idempotent; `get`
    always verifies the content against the CID and raises `IntegrityError` on mismatch;
    a missing blob raises `StorageError` naming the CID.
    """

    def put(self, data: bytes, *, max_blob_bytes: int | None = None) -> CID:
        """Store `data` and return its CID; refused with `StorageError` before anything is stored if too large."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise StorageError(f"blobs are bytes, got {type(data).__name__}; serialise first")
        payload = bytes(data)
        check_size(len(payload), max_blob_bytes, "blob")
        cid = cid_for(payload)
        self._store(cid, payload)
        return cid

    def get(self, cid: CidLike, *, max_blob_bytes: int | None = None) -> bytes:
        """Return the verified content of `cid`.

        `max_blob_bytes` bounds what a backend will read, so a hostile id pointing at a huge
        blob cannot exhaust memory; the read stops with `StorageError` past the limit.
        """
        parsed = parse_cid(cid)
        if max_blob_bytes is not None:
            check_size(0, max_blob_bytes, "blob")  # validates the limit itself
        data = self._load(parsed, max_blob_bytes)
        return verify_blob(parsed, data)

    def has(self, cid: CidLike) -> bool:
        """Whether the backend holds `cid` (without reading or verifying it)."""
        return self._contains(parse_cid(cid))

    def __contains__(self, cid: object) -> bool:
        if not isinstance(cid, (str, CID)):
            return False
        return self.has(cid)

    @abstractmethod
    def _store(self, cid: CID, data: bytes) -> None:
        """Persist `data` under `cid` (already computed from `data`); must be idempotent."""

    @abstractmethod
    def _load(self, cid: CID, max_blob_bytes: int | None) -> bytes:
        """Return the raw stored bytes of `cid` (unverified); `StorageError` if absent or too large."""

    @abstractmethod
    def _contains(self, cid: CID) -> bool:
        """Whether `cid` is present."""


class BlobNotFoundError(StorageError):
    """The requested blob is not in the store (a `StorageError`, so one except clause catches both)."""


def not_found(cid: CID, where: str) -> BlobNotFoundError:
    """The error every backend raises for a missing blob, so callers see one message shape."""
    return BlobNotFoundError(
        f"blob {cid} not found in {where}; check the id, or that the blob was put to this store"
    )
