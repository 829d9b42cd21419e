"""Project-wide pytest fixtures: chain clients on the embedded EVM and on a real anvil node.

The anvil tier never skips: if the binary is missing the tests fail and say how to get it,
so CI cannot silently lose its real-node coverage.
"""

from __future__ import annotations

from collections.abc import Iterator

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # imported lazily so test areas without a chain do not pay for web3
    from fedledger.chain import ChainClient


@pytest.fixture
def embedded_client() -> ChainClient:
    """A fresh in-process chain per test (py-evm via eth-tester)."""
    from fedledger.chain import ChainClient

    return ChainClient.embedded()


@pytest.fixture(scope="session")
def anvil_url() -> Iterator[str]:
    """One anvil node per test session (per xdist worker) on 127.0.0.1:<free port>."""
    from fedledger.chain.anvil import AnvilNode, find_anvil
    from fedledger.core.errors import ConfigError

    try:
        binary = find_anvil()
    except ConfigError as exc:
        pytest.fail(f"the integration tier needs anvil and must not be skipped: {exc}", pytrace=False)
    with AnvilNode(binary=binary) as node:
        yield node.url


@pytest.fixture
def anvil_client(anvil_url: str) -> Iterator[ChainClient]:
    """A client on the session's anvil node; chain state is snapshotted and restored around each test."""
    from fedledger.chain import ChainClient

    client = ChainClient.connect(anvil_url)
    snapshot = client.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    yield client
    client.w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]


@pytest.fixture(params=["embedded", pytest.param("anvil", marks=pytest.mark.integration)])
def chain_client(request: pytest.FixtureRequest) -> ChainClient:
    """The same test on both backends: the embedded EVM and anvil over JSON-RPC."""
    return request.getfixturevalue(f"{request.param}_client")
