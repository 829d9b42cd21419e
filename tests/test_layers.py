"""The import layers of DESIGN.md: `core` <- (`learning`, `storage`, `chain`, `protocol`, none
importing another) <- `node` <- (`sim`, `cli`, `api`); torch only in `learning` (and the
benchmarks), web3 only in `chain`, and the dashboard imports neither torch nor the node."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "fedledger"

ALLOWED = {
    "core": {"core"},
    "learning": {"core", "learning"},
    "storage": {"core", "storage"},
    "chain": {"core", "chain"},
    "protocol": {"core", "protocol"},
    "node": {"core", "learning", "storage", "chain", "protocol", "node"},
    "api": {"core", "storage", "chain", "api", "sim"},
}


def _imports(package: str) -> dict[str, set[str]]:
    """Top-level modules (and fedledger subpackages, as 'fedledger.x') each file imports."""
    found: dict[str, set[str]] = {}
    for path in (PACKAGE / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(PACKAGE))] = names
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_lower_layers(package: str) -> None:
    for path, names in _imports(package).items():
        inner = {n.split(".")[1] for n in names if n.startswith("fedledger.") and n.count(".") >= 1}
        assert inner <= ALLOWED[package], f"{path} imports fedledger.{sorted(inner - ALLOWED[package])}"


@pytest.mark.parametrize("package", ["core", "storage", "chain", "protocol", "api"])
def test_torch_stays_in_the_learning_layer(package: str) -> None:
    for path, names in _imports(package).items():
        assert not {n for n in names if n.split(".")[0] == "torch"}, f"{path} imports torch"


@pytest.mark.parametrize("package", ["core", "learning", "storage", "protocol", "node", "sim", "api"])
def test_web3_stays_in_the_chain_layer(package: str) -> None:
    for path, names in _imports(package).items():
        assert not {n for n in names if n.split(".")[0] == "web3"}, f"{path} imports web3"
