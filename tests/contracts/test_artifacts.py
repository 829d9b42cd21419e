"""The checked-in contract artifacts are current and well-formed.

Recompiling needs the pinned solcjs from node_modules (CI runs `npm ci`): when it is missing
this test fails with instructions instead of skipping, so stale artifacts cannot slip through.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "compile_contracts.py"
ARTIFACTS = ROOT / "src" / "fedledger" / "chain" / "artifacts"
SOLCJS = ROOT / "node_modules" / ".bin" / "solcjs"
KEYS = {"contractName", "abi", "bytecode", "deployedBytecode", "userdoc", "devdoc", "solcVersion", "sourceHash"}


def test_artifacts_are_current() -> None:
    if not SOLCJS.exists():
        pytest.fail(f"solcjs missing at {SOLCJS}: run `npm ci` (scripts/setup.sh) to check artifacts", pytrace=False)
    done = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr + done.stdout


@pytest.mark.parametrize("name", ["FMLToken", "TaskFactory", "AllianceTask"])
def test_artifact_shape(name: str) -> None:
    data = json.loads((ARTIFACTS / f"{name}.json").read_text())
    assert set(data) == KEYS
    assert data["contractName"] == name
    assert data["bytecode"].startswith("0x") and len(data["bytecode"]) > 2
    # EIP-170: deployed code must stay under 24,576 bytes.
    assert (len(data["deployedBytecode"]) - 2) // 2 < 24_576


def test_every_custom_error_has_a_notice() -> None:
    """The client shows an error's @notice to users, so none may be missing."""
    for name in ("FMLToken", "TaskFactory", "AllianceTask"):
        data = json.loads((ARTIFACTS / f"{name}.json").read_text())
        errors = [item for item in data["abi"] if item["type"] == "error"]
        documented = data["userdoc"].get("errors", {})
        for err in errors:
            if not err["name"].startswith(("AllianceTask", "TaskFactory", "FMLToken")):
                continue
            sig = f"{err['name']}({','.join(i['type'] for i in err['inputs'])})"
            assert sig in documented and documented[sig][0].get("notice"), f"{name}: {sig} has no @notice"


def test_stale_detection(tmp_path: Path) -> None:
    """find_stale (what --check reports) flags a changed, a missing and an extra artifact."""
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import compile_contracts as cc
    finally:
        sys.path.pop(0)
    expected = {f.name: f.read_text() for f in ARTIFACTS.glob("*.json")}
    for name, text in expected.items():
        (tmp_path / name).write_text(text)
    assert cc.find_stale(expected, tmp_path) == []
    (tmp_path / "FMLToken.json").write_text(expected["FMLToken.json"].replace('"0x', '"0x00', 1))
    (tmp_path / "TaskFactory.json").unlink()
    (tmp_path / "Old.json").write_text("{}")
    assert cc.find_stale(expected, tmp_path) == [
        "FMLToken.json differs or is missing",
        "TaskFactory.json differs or is missing",
        "Old.json has no source",
    ]
