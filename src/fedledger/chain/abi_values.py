"""Checks on Python values before they are ABI-encoded for a contract call.

web3 would also refuse a wrong-width integer or a short `bytes32`, but with a message about ABI
types; checking here names the argument the caller got wrong, and every wrapper shares it.
"""

from __future__ import annotations

from fedledger.core.errors import ValidationError
from fedledger.core.types import as_digest


def checked_digest(value: bytes, what: str) -> bytes:
    """`value` as a `bytes32` argument, or a `ValidationError` naming `what`."""
    try:
        return bytes(as_digest(bytes(value)))
    except (ValueError, TypeError) as exc:
        raise ValidationError(f"{what} must be a 32-byte digest: {exc}") from exc


def checked_uint(value: int, what: str, bits: int = 256) -> int:
    """`value` as a `uint<bits>` argument, or a `ValidationError` naming `what`."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**bits:
        raise ValidationError(f"{what} must be an integer in [0, 2**{bits}), got {value!r}")
    return value
