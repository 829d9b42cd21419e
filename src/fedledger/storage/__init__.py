"""Content-addressed blob storage: `put(bytes) -> CID`, `get(CID) -> bytes`, verified on every read.

Ids are CIDv1 (raw codec, sha2-256); the chain stores the bare 32-byte digest
(`digest_of` / `cid_from_digest` convert). Backends: `LocalStore` (default, a directory),
`KuboStore` (an IPFS node's RPC API), and `CachedStore` to front a remote store with a
local one. `open_store` picks one from the CLI's `--storage` string.
"""

from fedledger.storage.base import BlobNotFoundError, BlobStore
from fedledger.storage.cache import CachedStore
from fedledger.storage.cid import (
    CidLike,
    InvalidCidError,
    cid_for,
    cid_from_digest,
    digest_of,
    parse_cid,
    verify_blob,
)
from fedledger.storage.kubo import KuboStore
from fedledger.storage.local import LocalStore
from fedledger.storage.open_store import default_store_path, open_store

__all__ = [
    "BlobNotFoundError",
    "BlobStore",
    "CachedStore",
    "CidLike",
    "InvalidCidError",
    "KuboStore",
    "LocalStore",
    "cid_for",
    "cid_from_digest",
    "default_store_path",
    "digest_of",
    "open_store",
    "parse_cid",
    "verify_blob",
]
