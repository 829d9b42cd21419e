"""Python mirror of the SumTree lottery (linear scan instead of a Fenwick descent), for tests.

Uses eth_utils' keccak because the draw's randomness is keccak256(abi.encode(seed, j)).
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_abi import encode
from eth_utils import keccak


def draw_distinct(weights: Sequence[int], seed: bytes, m: int) -> list[int]:
    """Draw j: r = keccak(abi.encode(seed, j)) % remaining; the first leaf whose prefix sum of the
    remaining weights exceeds r."""
    w = list(weights)
    picks: list[int] = []
    for j in range(m):
        remaining = sum(w)
        r = int.from_bytes(keccak(encode(["bytes32", "uint256"], [seed, j])), "big") % remaining
        acc = 0
        for i, x in enumerate(w):
            acc += x
            if acc > r:
                picks.append(i)
                w[i] = 0
                break
    return picks


def many_seed(seed: bytes, i: int) -> bytes:
    return bytes(keccak(encode(["bytes32", "uint256"], [seed, i])))


def isqrt_weight(stake: int) -> int:
    from math import isqrt

    return isqrt(stake)
