"""Arena artifacts are deployable on mainnet-like chains (EIP-170) and clones stay cheap."""

from __future__ import annotations

import pytest

from fedledger.chain import load_artifact

EIP170_LIMIT = 24_576


@pytest.mark.parametrize("name", ["ArenaTask", "TaskFactory", "SumTreeMock"])
def test_deployed_code_under_eip170(name: str) -> None:
    art = load_artifact(name)
    assert (len(art.deployed_bytecode) - 2) // 2 < EIP170_LIMIT


def test_factory_does_not_embed_task_bytecode() -> None:
    factory = load_artifact("TaskFactory").deployed_bytecode
    arena = load_artifact("ArenaTask").deployed_bytecode[2:]
    assert arena[200:400] not in factory  # it clones the implementation instead
