"""The two EVM primitives the Alliance rules are written in: keccak-256 and `abi.encode`.

Kept in one module so the role draw and the vote commitment hash bytes exactly as the
contract does (static types only, each padded to 32 bytes), without importing web3.
"""

from __future__ import annotations

from eth_abi import encode as _abi_encode
from eth_utils import keccak

from fedledger.core.addresses import checksum
from fedledger.core.errors import ValidationError

__all__ = ["UINT256_MAX", "abi_encode", "as_bytes32", "as_uint", "checksum", "keccak256"]

UINT256_MAX = 2**256 - 1


def keccak256(data: bytes) -> bytes:
    """Keccak-256 as the EVM computes it (not NIST SHA3-256)."""
    return bytes(keccak(data))


def abi_encode(types: list[str], values: list[object]) -> bytes:
    """Solidity's `abi.encode` for the given static types."""
    return bytes(_abi_encode(types, values))


def as_bytes32(value: bytes, what: str) -> bytes:
    """Check that `value` fits a Solidity `bytes32` (exactly 32 bytes)."""
    if not isinstance(value, (bytes, bytearray)) or len(value) != 32:
        raise ValidationError(f"{what} must be 32 bytes, got {value!r}")
    return bytes(value)


def as_uint(value: int, what: str, bits: int = 256) -> int:
    """Check that `value` is an int that fits `uint<bits>`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value >= 2**bits:
        raise ValidationError(f"{what} must be an integer in [0, 2**{bits}), got {value!r}")
    return value
