"""CID form, digest conversion and the shared integrity check, cross-checked against hashlib."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multiformats import CID, multihash

from fedledger.core.errors import IntegrityError, ValidationError
from fedledger.core.types import Digest32
from fedledger.storage import InvalidCidError, cid_for, cid_from_digest, digest_of, parse_cid, verify_blob

# The well-known CIDv1/raw/sha2-256 of the empty byte string (as printed by `ipfs block put`).
EMPTY_RAW_CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"


def independent_cid(data: bytes) -> str:
    """Build the CID text by hand from the spec (multibase 'b' + base32(0x01 0x55 0x12 0x20 digest))."""
    raw = bytes([0x01, 0x55, 0x12, 0x20]) + hashlib.sha256(data).digest()
    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")


def test_empty_blob_matches_known_ipfs_cid() -> None:
    assert str(cid_for(b"")) == EMPTY_RAW_CID


@pytest.mark.parametrize("data", [b"", b"a", b"hello world", bytes(range(256)) * 10])
def test_cid_string_is_raw_cidv1_base32(data: bytes) -> None:
    cid = cid_for(data)
    text = str(cid)
    assert text.startswith("bafkrei")
    assert text == independent_cid(data)
    assert cid.version == 1 and cid.codec.name == "raw" and cid.hashfun.name == "sha2-256"


@given(st.binary(max_size=2048))
def test_digest_conversion_both_ways(data: bytes) -> None:
    cid = cid_for(data)
    digest = digest_of(cid)
    assert digest == hashlib.sha256(data).digest()
    assert len(digest) == 32
    assert cid_from_digest(digest) == cid
    assert str(cid_from_digest(Digest32(hashlib.sha256(data).digest()))) == independent_cid(data)
    assert digest_of(str(cid)) == digest


def test_parse_accepts_other_multibase_and_canonicalises() -> None:
    cid = cid_for(b"model")
    b58 = cid.encode("base58btc")
    assert b58.startswith("z")
    parsed = parse_cid(b58)
    assert parsed == cid and str(parsed) == str(cid)
    assert parse_cid(f"  {cid}\n") == cid


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty CID"),
        ("hello", "not a valid CID"),
        ("bafkreinotreally!!", "not a valid CID"),
        ("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG", "version 0"),
        (str(CID("base32", 1, "dag-pb", multihash.wrap(hashlib.sha256(b"x").digest(), "sha2-256"))), "codec 'dag-pb'"),
        (str(CID("base32", 1, "raw", multihash.digest(b"x", "sha2-512"))), "sha2-512"),
    ],
)
def test_invalid_cids_are_refused_clearly(text: str, fragment: str) -> None:
    with pytest.raises(InvalidCidError, match=fragment) as info:
        parse_cid(text)
    assert isinstance(info.value, ValidationError)


def test_non_string_cid_is_refused() -> None:
    with pytest.raises(InvalidCidError, match="must be a str"):
        parse_cid(b"bafkrei")  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [b"", b"\x00" * 31, b"\x00" * 33])
def test_cid_from_digest_needs_32_bytes(bad: bytes) -> None:
    with pytest.raises(InvalidCidError, match="32 bytes"):
        cid_from_digest(bad)


def test_verify_blob_accepts_matching_and_rejects_other_content() -> None:
    cid = cid_for(b"honest update")
    assert verify_blob(cid, b"honest update") == b"honest update"
    with pytest.raises(IntegrityError, match=str(cid)) as info:
        verify_blob(cid, b"poisoned update")
    assert str(cid_for(b"poisoned update")) in str(info.value)
