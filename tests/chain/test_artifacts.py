"""Artifact loading: present artifacts parse, missing ones are clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from fedledger.chain import artifact_names, load_artifact
from fedledger.core.errors import ConfigError


def test_token_artifact_loads() -> None:
    assert "FMLToken" in artifact_names()
    art = load_artifact("FMLToken")
    assert art.name == "FMLToken" and art.bytecode.startswith("0x") and len(art.bytecode) > 100
    assert any(item.get("name") == "transfer" for item in art.abi)


def test_missing_and_broken_artifacts(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="compile_contracts"):
        load_artifact("DoesNotExist")
    (tmp_path / "Broken.json").write_text('{"abi": []}')
    with pytest.raises(ConfigError, match="lacks"):
        load_artifact("Broken", tmp_path)
