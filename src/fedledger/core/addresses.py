"""Ethereum addresses as every layer accepts them."""

from __future__ import annotations

from eth_utils import is_address, to_checksum_address

from fedledger.core.errors import ValidationError


def checksum(address: str) -> str:
    """`address` in its EIP-55 form, so addresses from users, the chain and the protocol mirror
    compare equal; anything else is a `ValidationError` that shows the value."""
    if not isinstance(address, str) or not is_address(address):
        raise ValidationError(f"not an Ethereum address: {address!r}; pass a 0x-prefixed 20-byte hex string")
    return str(to_checksum_address(address))
