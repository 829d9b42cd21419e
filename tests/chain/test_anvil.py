"""The anvil launcher: finding the binary, start-up failures, killing by PID."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests

from fedledger.chain import ChainClient
from fedledger.chain.anvil import ANVIL_ENV, AnvilNode, find_anvil
from fedledger.core.errors import ChainError, ConfigError


def test_env_override_must_be_executable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ANVIL_ENV, str(tmp_path / "nope"))
    with pytest.raises(ConfigError, match=ANVIL_ENV):
        find_anvil()


@pytest.mark.integration
def test_start_failure_reports_stderr() -> None:
    node = AnvilNode(extra_args=("--no-such-flag",))
    with pytest.raises(ChainError, match="no-such-flag"):
        node.start()
    assert node.pid is None


@pytest.mark.integration
def test_node_runs_and_is_killed(tmp_path: Path) -> None:
    with AnvilNode() as node:
        pid = node.pid
        assert pid is not None
        client = ChainClient.connect(node.url)
        assert client.chain_id == 31337 and not client.is_embedded
        assert len(client.dev_accounts()) == 10
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(requests.ConnectionError):
        requests.post(node.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=2)


@pytest.mark.integration
def test_node_without_known_keys_has_no_dev_accounts() -> None:
    other = "legal winner thank year wave sausage worth useful legal winner thank yellow"
    with AnvilNode(extra_args=("--mnemonic", other)) as node:
        client = ChainClient.connect(node.url)
        with pytest.raises(ChainError, match="no dev accounts with known keys"):
            client.dev_accounts()
