"""Deterministic per-participant seeds, shared by the node and by the sim's baseline.

A proposer's training seed depends only on the task spec's seed, the round and the
proposer's address, so the plain-FedAvg baseline can replay exactly the same local training
and the protocol's global model equals the baseline's whenever every update is accepted.
"""

from __future__ import annotations

import hashlib


def _seed(*parts: object) -> int:
    text = ":".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "big") >> 1  # < 2**63


def split_seed(address: str) -> int:
    """Seed of a participant's private train/test split (fixed for its address)."""
    return _seed("split", address.lower())


def train_seed(spec_seed: int, round_index: int, address: str) -> int:
    """Seed of a proposer's local training in one round."""
    return _seed("train", spec_seed, round_index, address.lower())


def reference_seed(spec_seed: int, round_index: int) -> int:
    """Seed of the public reference training in one round: the same for every voter."""
    return _seed("reference", spec_seed, round_index)
