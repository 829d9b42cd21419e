"""A transaction left under the base fee by a fee spike is sent again with higher fees."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from fedledger.chain import ChainClient
from fedledger.chain.anvil import AnvilNode

SPIKE_WEI = 100 * 10**9


class _Miner:
    """Mines a block every 0.05 s on an anvil started with --no-mining; while `spiking`, each
    block's base fee is set to SPIKE_WEI first (a congested network), so a transaction priced
    at the ordinary base fee can never be included."""

    def __init__(self, client: ChainClient) -> None:
        self.client = client
        self.paused = threading.Event()
        self.spiking = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        provider = self.client.w3.provider
        while not self._stop.wait(0.05):
            if self.paused.is_set():
                continue
            if self.spiking.is_set():
                provider.make_request("anvil_setNextBlockBaseFeePerGas", [hex(SPIKE_WEI)])  # type: ignore[arg-type]
            provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture
def congested() -> Iterator[tuple[ChainClient, _Miner]]:
    with AnvilNode(extra_args=("--no-mining",)) as node:
        client = ChainClient.connect(node.url)
        miner = _Miner(ChainClient.connect(node.url))
        try:
            yield client, miner
        finally:
            miner.stop()


@pytest.mark.integration
def test_a_transaction_stuck_under_a_fee_spike_is_sent_again_and_mined(congested: tuple[ChainClient, _Miner]) -> None:
    client, miner = congested
    owner, friend = client.dev_accounts()[:2]
    token = client.deploy("FMLToken", owner.address, sender=owner)
    client.transact(token.functions.mint(owner.address, 1000), owner)
    client.bump_after_s = 0.2
    miner.paused.set()
    sent = client.send(token.functions.transfer(friend.address, 7), owner, gas=100_000)  # priced for ~1 gwei
    miner.spiking.set()
    miner.paused.clear()
    (receipt,) = client.wait_all([sent], timeout_s=60)
    assert receipt["status"] == 1
    assert bytes(receipt["transactionHash"]) != bytes(sent)  # a replacement was mined, not the first send
    assert int(receipt["effectiveGasPrice"]) >= SPIKE_WEI
    assert client.call(token.functions.balanceOf(friend.address)) == 7  # once: same nonce
    miner.spiking.clear()
    assert client.transact(token.functions.transfer(friend.address, 1), owner)["status"] == 1  # nonces still in step
    assert client.call(token.functions.balanceOf(friend.address)) == 8
