"""Small value types shared across layers.

On-chain hashes are raw 32-byte sha-256 digests, the same digest that a storage CID wraps,
so a blob id and its on-chain commitment convert into each other without loss.
"""

from __future__ import annotations

from typing import NewType

Digest32 = NewType("Digest32", bytes)
"""A 32-byte sha-256 digest, as stored on-chain in a `bytes32`."""

ZERO_DIGEST = Digest32(b"\x00" * 32)


def as_digest(value: bytes) -> Digest32:
    """Check that `value` is exactly 32 bytes and tag it as a digest."""
    if len(value) != 32:
        raise ValueError(f"a digest is 32 bytes, got {len(value)}")
    return Digest32(bytes(value))


def digest_to_hex(digest: bytes) -> str:
    """Render a digest as 0x-prefixed hex, the form web3 tools print."""
    return "0x" + as_digest(digest).hex()


def digest_from_hex(text: str) -> Digest32:
    """Parse a 0x-prefixed (or bare) 64-digit hex string into a digest."""
    body = text[2:] if text.startswith(("0x", "0X")) else text
    try:
        raw = bytes.fromhex(body)
    except ValueError as exc:
        raise ValueError(f"not a hex digest: {text!r}") from exc
    return as_digest(raw)
