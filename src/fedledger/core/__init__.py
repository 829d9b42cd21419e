"""Shared vocabulary of every layer: ids, hashes and the error hierarchy.

`core` imports nothing else from fedledger, so every other package may import it.
"""

from fedledger.core.errors import (
    AggregationError,
    ChainError,
    ConfigError,
    FedledgerError,
    IntegrityError,
    RevertError,
    StorageError,
    UpdateValidationError,
    ValidationError,
)
from fedledger.core.types import Digest32, digest_from_hex, digest_to_hex

__all__ = [
    "AggregationError",
    "ChainError",
    "ConfigError",
    "Digest32",
    "FedledgerError",
    "IntegrityError",
    "RevertError",
    "StorageError",
    "UpdateValidationError",
    "ValidationError",
    "digest_from_hex",
    "digest_to_hex",
]
