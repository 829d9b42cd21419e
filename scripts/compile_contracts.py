#!/usr/bin/env python3
"""Compile the Solidity contracts into the JSON artifacts that `fedledger.chain` loads.

Why a script and checked-in artifacts: tests and users then need no compiler, and CI runs
`--check` to prove the artifacts are current. The compiler is the pinned solcjs from
`node_modules` driven by standard-JSON input. Sources (ours and the OpenZeppelin files they
import, resolved with the `@openzeppelin/` remapping) are inlined into the input, so the
output depends only on file contents and compiler settings — never on absolute paths — and
is byte-for-byte reproducible.

Usage::

    .venv/bin/python scripts/compile_contracts.py          # (re)write the artifacts
    .venv/bin/python scripts/compile_contracts.py --check  # exit 1 if any artifact is stale
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_DIR = ROOT / "contracts"
NODE_MODULES = ROOT / "node_modules"
SOLCJS = NODE_MODULES / ".bin" / "solcjs"
ARTIFACTS_DIR = ROOT / "src" / "fedledger" / "chain" / "artifacts"
REMAPPINGS = {"@openzeppelin/": NODE_MODULES / "@openzeppelin"}
SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 200},
    "evmVersion": "cancun",
    "metadata": {"bytecodeHash": "none"},
    "outputSelection": {
        "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "userdoc", "devdoc"]}
    },
}
_IMPORT_RE = re.compile(r"""^\s*import\s+(?:[^;]*?\s+from\s+)?["']([^"']+)["']\s*;""", re.MULTILINE)


class CompileError(RuntimeError):
    """The compiler is missing or rejected the sources; the message says which and why."""


def _resolve_path(unit: str) -> Path:
    """Map a source unit name (``contracts/...`` or ``@openzeppelin/...``) to a file."""
    for prefix, target in REMAPPINGS.items():
        if unit.startswith(prefix):
            return target / unit[len(prefix):]
    return ROOT / unit


def _normalise(base_unit: str, imported: str) -> str:
    """Resolve an import string against the importing unit, as solc does."""
    if not imported.startswith("."):
        return imported
    parts = base_unit.split("/")[:-1]
    for piece in imported.split("/"):
        if piece == "..":
            parts.pop()
        elif piece != ".":
            parts.append(piece)
    return "/".join(parts)


def collect_sources() -> dict[str, str]:
    """Return every source unit reachable from ``contracts/``, keyed by unit name, sorted."""
    pending = sorted(p.relative_to(ROOT).as_posix() for p in CONTRACTS_DIR.rglob("*.sol"))
    if not pending:
        raise CompileError(f"no .sol files under {CONTRACTS_DIR}")
    sources: dict[str, str] = {}
    while pending:
        unit = pending.pop()
        if unit in sources:
            continue
        path = _resolve_path(unit)
        if not path.is_file():
            raise CompileError(f"import {unit!r} not found at {path}; run `npm ci` to install node_modules")
        text = path.read_text(encoding="utf-8")
        sources[unit] = text
        pending.extend(_normalise(unit, imp) for imp in _IMPORT_RE.findall(text))
    return dict(sorted(sources.items()))


def solc_version() -> str:
    """Return the solcjs version string, or fail with how to install it."""
    if not SOLCJS.exists():
        raise CompileError(f"solcjs not found at {SOLCJS}; run `npm ci` (see scripts/setup.sh)")
    done = subprocess.run([str(SOLCJS), "--version"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise CompileError(f"solcjs --version failed: {done.stderr.strip()}")
    return done.stdout.strip().splitlines()[-1]


def compile_all() -> dict[str, dict[str, Any]]:
    """Compile all contracts and return artifact dicts keyed by contract name."""
    version = solc_version()
    sources = collect_sources()
    std_input = {"language": "Solidity", "sources": {k: {"content": v} for k, v in sources.items()}, "settings": SETTINGS}
    encoded = json.dumps(std_input, sort_keys=True)
    source_hash = "0x" + hashlib.sha256(encoded.encode()).hexdigest()
    # solcjs reads stdin with a synchronous read that fails with EAGAIN on a pipe, so the
    # input goes through a regular temporary file.
    # Its output likewise goes to a file: on a pipe it exits before flushing past 64 KiB.
    with tempfile.TemporaryFile("w+") as handle, tempfile.TemporaryFile("w+") as out_handle:
        handle.write(encoded)
        handle.seek(0)
        done = subprocess.run(
            [str(SOLCJS), "--standard-json"], stdin=handle, stdout=out_handle, stderr=subprocess.PIPE, text=True, check=False
        )
        out_handle.seek(0)
        stdout = out_handle.read()
    if done.returncode != 0:
        raise CompileError(f"solcjs failed (exit {done.returncode}): {done.stderr.strip()}")
    output = json.loads(stdout[stdout.index("{"):])
    problems = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if problems:
        raise CompileError("compilation failed:\n" + "\n".join(e.get("formattedMessage", e["message"]) for e in problems))
    artifacts: dict[str, dict[str, Any]] = {}
    for unit, contracts in sorted(output.get("contracts", {}).items()):
        if not unit.startswith("contracts/"):
            continue
        for name, data in sorted(contracts.items()):
            bytecode = data["evm"]["bytecode"]["object"]
            if not bytecode:  # interfaces and abstract contracts are not deployable
                continue
            if re.search(rf"\blibrary\s+{re.escape(name)}\b", sources[unit]):  # internal libraries are inlined
                continue
            if name in artifacts:
                raise CompileError(f"two deployable contracts are named {name}; names must be unique")
            artifacts[name] = {
                "contractName": name,
                "abi": data["abi"],
                "bytecode": "0x" + bytecode,
                "deployedBytecode": "0x" + data["evm"]["deployedBytecode"]["object"],
                "userdoc": data.get("userdoc", {}),
                "devdoc": data.get("devdoc", {}),
                "solcVersion": version,
                "sourceHash": source_hash,
            }
    return artifacts


def render(artifact: dict[str, Any]) -> str:
    """Serialise one artifact deterministically (sorted keys, stable indentation)."""
    return json.dumps(artifact, sort_keys=True, indent=1) + "\n"


def find_stale(expected: dict[str, str], directory: Path) -> list[str]:
    """Describe every artifact file in `directory` that differs from, lacks or exceeds `expected`."""
    existing = {p.name for p in directory.glob("*.json")} if directory.exists() else set()
    stale = [f"{n} differs or is missing" for n, text in sorted(expected.items())
             if not (directory / n).is_file() or (directory / n).read_text() != text]
    return stale + [f"{n} has no source" for n in sorted(existing - set(expected))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if any artifact is missing or stale")
    args = parser.parse_args(argv)
    try:
        artifacts = compile_all()
    except CompileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    expected = {f"{name}.json": render(a) for name, a in artifacts.items()}
    existing = {p.name for p in ARTIFACTS_DIR.glob("*.json")} if ARTIFACTS_DIR.exists() else set()
    if args.check:
        problems = find_stale(expected, ARTIFACTS_DIR)
        if problems:
            print(
                "error: contract artifacts are stale: " + ", ".join(problems)
                + "; run `.venv/bin/python scripts/compile_contracts.py` and commit the result",
                file=sys.stderr,
            )
            return 1
        print(f"ok: {len(expected)} artifacts are current")
        return 0
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    for name in sorted(existing - set(expected)):
        (ARTIFACTS_DIR / name).unlink()
    for name, text in expected.items():
        (ARTIFACTS_DIR / name).write_text(text)
    print(f"wrote {len(expected)} artifacts to {ARTIFACTS_DIR.relative_to(ROOT)}: {', '.join(sorted(expected))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
