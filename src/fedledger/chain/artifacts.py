"""Load compiled contract artifacts (ABI + bytecode + NatSpec) checked in under `artifacts/`.

The JSON files are produced by `scripts/compile_contracts.py`; at run time no compiler is
needed. Artifacts are immutable, so they are parsed once per process and cached.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from fedledger.core.errors import ConfigError

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"


@dataclass(frozen=True)
class Artifact:
    """One compiled contract: what `ChainClient.deploy` and the revert decoder need."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    userdoc: dict[str, Any] = field(default_factory=dict)
    devdoc: dict[str, Any] = field(default_factory=dict)


def artifact_names(directory: Path | None = None) -> list[str]:
    """Names of every artifact present (sorted), e.g. ``["AllianceTask", "FMLToken"]``."""
    base = directory or ARTIFACTS_DIR
    if not base.is_dir():
        return []
    return sorted(p.stem for p in base.glob("*.json"))


def load_artifact(name: str, directory: Path | None = None) -> Artifact:
    """Return the artifact of contract `name`; a missing or malformed file is a `ConfigError`."""
    base = directory or ARTIFACTS_DIR
    return _load_cached(name, str(base))


@lru_cache(maxsize=None)
def _load_cached(name: str, base: str) -> Artifact:
    path = Path(base) / f"{name}.json"
    if not path.is_file():
        known = ", ".join(artifact_names(Path(base))) or "none"
        raise ConfigError(
            f"no compiled artifact for contract {name!r} at {path} (known: {known}); "
            "run `python scripts/compile_contracts.py` to (re)build the artifacts"
        )
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        bytecode = raw["bytecode"]
        abi = raw["abi"]
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(
            f"artifact {path} is unreadable or lacks 'abi'/'bytecode' ({exc}); "
            "re-run `python scripts/compile_contracts.py`"
        ) from exc
    if not isinstance(abi, list) or not isinstance(bytecode, str):
        raise ConfigError(f"artifact {path} has a malformed 'abi' or 'bytecode'; re-run the compile script")
    return Artifact(
        name=raw.get("contractName", name),
        abi=abi,
        bytecode=bytecode if bytecode.startswith("0x") else "0x" + bytecode,
        deployed_bytecode=_hex(raw.get("deployedBytecode", "")),
        userdoc=raw.get("userdoc") or {},
        devdoc=raw.get("devdoc") or {},
    )


def _hex(value: str) -> str:
    return value if value.startswith("0x") else "0x" + value
