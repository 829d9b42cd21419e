"""Generic chain plumbing: a web3.py client over an embedded EVM or any JSON-RPC node.

Typed contract wrappers (token, factory, alliance) build on `ChainClient`; nothing outside
`chain/` imports web3.
"""

from fedledger.chain.artifacts import Artifact, artifact_names, load_artifact
from fedledger.chain.client import ChainClient, ChainStats
from fedledger.chain.errors import ErrorRegistry, artifact_error_registry
from fedledger.core.errors import RevertError

__all__ = [
    "Artifact",
    "ChainClient",
    "ChainStats",
    "ErrorRegistry",
    "RevertError",
    "artifact_error_registry",
    "artifact_names",
    "load_artifact",
]
