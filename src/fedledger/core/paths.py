"""Where fedledger keeps its files on this machine when no path is given."""

from __future__ import annotations

import os
from pathlib import Path


def default_home() -> Path:
    """`$FEDLEDGER_HOME` or `~/.fedledger`: deployments, node state and the local blob store."""
    return Path(os.environ.get("FEDLEDGER_HOME", Path.home() / ".fedledger"))


def default_node_states() -> Path:
    """Where nodes keep their crash-safe state: one directory per task and account below."""
    return default_home() / "nodes"
