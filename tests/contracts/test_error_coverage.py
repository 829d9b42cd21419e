"""Meta-test: every custom error our contracts declare is asserted by some test.

Reads the compiled ABIs (not a hand-kept list), so adding an error to a contract without a
test anywhere under tests/ that provokes it — via `expect_revert("Name", ...)` or an `error_name == "Name"` check —
fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

from fedledger.chain import load_artifact

OWN_PREFIXES = {"AllianceTask": "AllianceTask", "TaskFactory": "TaskFactory", "FMLToken": "FMLToken"}
TESTS = Path(__file__).resolve().parent.parent


def _declared_errors() -> set[str]:
    names: set[str] = set()
    for contract, prefix in OWN_PREFIXES.items():
        for item in load_artifact(contract).abi:
            if item.get("type") == "error" and item["name"].startswith(prefix):
                names.add(item["name"])
    return names


def _asserted_errors() -> set[str]:
    # expect_revert("Name", ...), `.error_name == "Name"`, or a parametrize row `}, "Name", (args)`.
    pattern = re.compile(r'(?:expect_revert\(\s*|error_name\s*==\s*|\},\s*)"([A-Za-z0-9_]+)"')
    found: set[str] = set()
    for path in TESTS.rglob("test_*.py"):
        if path.name != Path(__file__).name:
            found.update(pattern.findall(path.read_text()))
    return found


def test_declared_error_list_is_not_empty() -> None:
    declared = _declared_errors()
    assert "AllianceTaskWrongPhase" in declared and "TaskFactoryNotTask" in declared
    assert "FMLTokenMintOnlyOnDevChain" in declared


def test_every_custom_error_is_exercised() -> None:
    missing = sorted(_declared_errors() - _asserted_errors())
    assert not missing, f"custom errors with no test asserting them: {missing}"
