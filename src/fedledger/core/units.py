"""Token amounts: on-chain in base units, shown to people in whole tokens."""

from __future__ import annotations

TOKEN = 10**18
"""One FML (and one ETH) in base units: both have 18 decimals."""


def in_tokens(amount: int) -> float:
    """`amount` base units as whole tokens, for people (never for arithmetic on balances)."""
    return amount / TOKEN
