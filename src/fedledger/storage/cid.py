"""Content identifiers: the one place that knows how a blob, its CID and its on-chain digest relate.

fedledger names every blob by a CIDv1 with the `raw` codec and a sha2-256 multihash, so a
CID is nothing but a 32-byte sha-256 digest in a self-describing wrapper (base32 text form
`bafkrei...`). The contracts store the bare digest (`bytes32`); `digest_of` and `cid_from_digest`
convert between the two without loss. The same raw CID is what a Kubo node computes for a
block put with `cid-codec=raw&mhtype=sha2-256`, so ids agree across backends.

`verify_blob` is the single integrity check every backend runs before handing bytes back:
content whose hash differs from the CID it was asked for is never returned.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from multiformats import CID, multihash

from fedledger.core.errors import IntegrityError, ValidationError
from fedledger.core.types import Digest32, as_digest

RAW_CODEC = "raw"
HASH_NAME = "sha2-256"
DIGEST_BYTES = 32

CidLike = CID | str
"""What the storage API accepts as an id: a parsed `CID` or its string form."""

CID_CACHE = 4096
"""CIDs whose conversions are remembered. The `multiformats` objects are slow to build, parse
and print (0.1-0.5 ms each, pure Python), and every blob read or write converts its id
several times (digest -> CID -> checked CID -> digest, file name), while a node handles a few
dozen distinct ids a round: memoising these pure functions saves ~0.7 ms per storage call."""


class InvalidCidError(ValidationError):
    """A CID string or object is malformed or not of the kind fedledger uses (v1, raw, sha2-256)."""


@lru_cache(maxsize=CID_CACHE)
def _make_cid(digest: bytes) -> CID:
    return CID("base32", 1, RAW_CODEC, multihash.wrap(digest, HASH_NAME))


def cid_for(data: bytes) -> CID:
    """The CID of `data`: CIDv1, raw codec, sha2-256, rendered in base32."""
    return _make_cid(hashlib.sha256(data).digest())


def cid_from_digest(digest: bytes) -> CID:
    """Wrap a 32-byte on-chain sha-256 digest back into the blob's CID."""
    try:
        checked = as_digest(bytes(digest))
    except (TypeError, ValueError) as exc:
        raise InvalidCidError(f"cannot build a CID from {digest!r}: {exc}") from exc
    return _make_cid(checked)


def parse_cid(value: CidLike) -> CID:
    """Parse and check a CID; anything but CIDv1/raw/sha2-256 with a 32-byte digest is refused.

    Accepts any multibase text form of such a CID (e.g. `z...` base58btc) and returns it in
    canonical base32, so equal blobs always print the same id.
    """
    if not isinstance(value, (CID, str)):
        raise InvalidCidError(f"a CID must be a str or multiformats.CID, got {type(value).__name__}")
    return _parse_checked(value)


@lru_cache(maxsize=CID_CACHE)
def _parse_checked(value: CidLike) -> CID:
    if isinstance(value, CID):
        cid = value
    else:
        text = value.strip()
        if not text:
            raise InvalidCidError("empty CID: expected a CIDv1 string like 'bafkrei...'")
        try:
            cid = CID.decode(text)
        except Exception as exc:  # multiformats raises several unrelated types for bad input
            raise InvalidCidError(
                f"not a valid CID: {value!r} ({exc}); expected a CIDv1 string like 'bafkrei...'"
            ) from exc
    if cid.version != 1:
        raise InvalidCidError(
            f"CID {cid} is version {cid.version}; fedledger blobs use CIDv1 (raw codec, sha2-256)"
        )
    if cid.codec.name != RAW_CODEC:
        raise InvalidCidError(
            f"CID {cid} has codec {cid.codec.name!r}; fedledger blobs use the 'raw' codec "
            "(a 'dag-pb' CID comes from `ipfs add` chunking; store blobs with block/put instead)"
        )
    if cid.hashfun.name != HASH_NAME or len(cid.raw_digest) != DIGEST_BYTES:
        raise InvalidCidError(
            f"CID {cid} uses hash {cid.hashfun.name!r} with a {len(cid.raw_digest)}-byte digest; "
            f"fedledger blobs use {HASH_NAME} (32 bytes)"
        )
    return cid.set(base="base32")


def digest_of(cid: CidLike) -> Digest32:
    """The raw 32-byte sha-256 digest inside `cid`: the value stored on-chain as `bytes32`."""
    return _digest(parse_cid(cid))


@lru_cache(maxsize=CID_CACHE)
def _digest(cid: CID) -> Digest32:
    return as_digest(bytes(cid.raw_digest))


@lru_cache(maxsize=CID_CACHE)
def cid_text(cid: CID) -> str:
    """`str(cid)`, remembered (see `CID_CACHE`)."""
    return str(cid)


def verify_blob(cid: CidLike, data: bytes) -> bytes:
    """Return `data` if its sha-256 matches `cid`, else raise `IntegrityError` naming the CID.

    Every backend calls this on every read, so corrupt or substituted content never reaches
    the caller, whatever the backend (a flipped bit on disk, a lying IPFS peer).
    """
    expected = parse_cid(cid)
    actual = hashlib.sha256(data).digest()
    if actual != _digest(expected):
        raise IntegrityError(
            f"blob {expected} failed its integrity check: content hashes to {_make_cid(actual)} "
            f"({len(data)} bytes). The stored copy is corrupt or was substituted; delete it and "
            "fetch or put the blob again."
        )
    return data
