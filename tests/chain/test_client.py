"""Behaviour of `ChainClient`, run on the embedded EVM and on anvil (integration)."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account

from fedledger.chain import ChainClient
from fedledger.core.errors import ChainError, ConfigError, RevertError, ValidationError


def test_dev_accounts_are_funded_and_keyed(chain_client: ChainClient) -> None:
    accounts = chain_client.dev_accounts()
    assert len(accounts) >= 2
    assert len({a.address for a in accounts}) == len(accounts)
    assert all(chain_client.balance(a.address) > 10**18 for a in accounts[:2])
    # The key really controls the address.
    assert Account.from_key(accounts[0].key).address == accounts[0].address


def test_new_account_is_funded(chain_client: ChainClient) -> None:
    fresh = chain_client.new_account(eth_wei=12345)
    assert chain_client.balance(fresh.address) == 12345
    assert fresh.address not in {a.address for a in chain_client.dev_accounts()}


def test_deploy_transfer_and_events(token_setup: Any) -> None:
    client, token, owner = token_setup.client, token_setup.token, token_setup.owner
    start = client.block_number() + 1  # after the fixture's mint
    alice = client.new_account()
    receipt = client.transact(token.functions.transfer(alice.address, 700), owner)
    assert receipt["status"] == 1
    assert client.call(token.functions.balanceOf(alice.address)) == 700
    assert client.call(token.functions.balanceOf(owner.address)) == token_setup.supply - 700

    events = client.events(token, "Transfer", from_block=start, argument_filters={"to": alice.address})
    assert [(e["args"]["from"], e["args"]["to"], e["args"]["value"]) for e in events] == [
        (owner.address, alice.address, 700)
    ]
    assert client.events(token, "Transfer", from_block=start, argument_filters={"to": owner.address}) == []
    with pytest.raises(ValidationError, match="no event 'Transferred'"):
        client.events(token, "Transferred")

    again = client.contract_at("FMLToken", token.address.lower())
    assert client.call(again.functions.totalSupply()) == token_setup.supply


def test_revert_decoded_from_estimate(token_setup: Any) -> None:
    client, token = token_setup.client, token_setup.token
    poor = client.new_account()
    with pytest.raises(RevertError) as info:
        client.transact(token.functions.transfer(token_setup.owner.address, 5), poor)
    err = info.value
    assert err.error_name == "ERC20InsufficientBalance"
    assert err.error_args == (poor.address, 0, 5)
    assert f"ERC20InsufficientBalance(sender={poor.address}, balance=0, needed=5)" in str(err)


def test_revert_decoded_from_mined_failed_tx(token_setup: Any) -> None:
    client, token = token_setup.client, token_setup.token
    poor = client.new_account()
    tx_hash = client.send(token.functions.transfer(token_setup.owner.address, 9), poor, gas=100_000)
    with pytest.raises(RevertError) as info:
        client.wait_all([tx_hash])
    assert info.value.error_name == "ERC20InsufficientBalance"
    assert info.value.error_args == (poor.address, 0, 9)
    assert tx_hash.hex() in str(info.value)
    # The failed tx consumed its nonce: the next tx from the same sender still goes through.
    assert client.transact(token.functions.approve(token_setup.owner.address, 1), poor)["status"] == 1


def test_revert_with_notice_and_from_call(token_setup: Any) -> None:
    client, token = token_setup.client, token_setup.token
    stranger = client.new_account()
    with pytest.raises(RevertError) as info:
        client.call(token.functions.mint(stranger.address, 1), sender=stranger.address)
    assert info.value.error_name == "OwnableUnauthorizedAccount"
    assert info.value.error_args == (stranger.address,)


def test_out_of_gas_is_reported(token_setup: Any) -> None:
    client, token = token_setup.client, token_setup.token
    alice = client.new_account()
    tx_hash = client.send(token.functions.transfer(alice.address, 1), token_setup.owner, gas=23_000)
    with pytest.raises(RevertError, match="ran out of gas") as info:
        client.wait_all([tx_hash])
    assert info.value.error_name == "OutOfGas"


def test_pipelined_sends_use_consecutive_nonces(token_setup: Any) -> None:
    client, token, owner = token_setup.client, token_setup.token, token_setup.owner
    alice = client.new_account()
    first_nonce = client.w3.eth.get_transaction_count(owner.address)
    hashes = [client.send(token.functions.transfer(alice.address, i + 1), owner, gas=80_000) for i in range(12)]
    receipts = client.wait_all(hashes)
    assert [r["transactionHash"] for r in receipts] == hashes
    assert all(r["status"] == 1 for r in receipts)
    nonces = [client.w3.eth.get_transaction(h)["nonce"] for h in hashes]
    assert nonces == list(range(first_nonce, first_nonce + 12))
    assert client.call(token.functions.balanceOf(alice.address)) == sum(range(1, 13))


def test_stats_count_views_and_transactions_by_every_path(token_setup: Any) -> None:
    """`stats` is what the overhead benchmark splits the chain time with: every view and
    every transaction counts once, whether sent and awaited together or apart."""
    client, token, owner = token_setup.client, token_setup.token, token_setup.owner
    alice = client.new_account()
    before = client.stats.snapshot()
    client.transact(token.functions.transfer(alice.address, 1), owner)
    hashes = client.send_many([token.functions.transfer(alice.address, 2)] * 3, owner, gas=80_000)
    client.wait_all(hashes)
    assert client.call(token.functions.balanceOf(alice.address)) == 7
    client.call(token.functions.balanceOf(alice.address))  # a cache hit still counts as a view
    spent = client.stats.since(before)
    assert (spent.transactions, spent.views) == (4, 2)
    assert spent.transaction_s > 0 and spent.view_s > 0


def test_one_failure_in_a_batch_raises_after_all_are_mined(token_setup: Any) -> None:
    client, token, owner = token_setup.client, token_setup.token, token_setup.owner
    alice = client.new_account()
    good = client.send(token.functions.transfer(alice.address, 1), owner, gas=80_000)
    bad = client.send(token.functions.transferFrom(alice.address, owner.address, 1), owner, gas=80_000)
    good2 = client.send(token.functions.transfer(alice.address, 2), owner, gas=80_000)
    with pytest.raises(RevertError) as info:
        client.wait_all([good, bad, good2])
    assert info.value.error_name == "ERC20InsufficientAllowance"
    assert client.call(token.functions.balanceOf(alice.address)) == 3


def test_advance_time(chain_client: ChainClient) -> None:
    before = chain_client.now()
    chain_client.advance_time(3600)
    assert chain_client.now() >= before + 3600
    # The next mined block keeps moving forward from there.
    owner = chain_client.dev_accounts()[0]
    receipt = chain_client.wait_all([chain_client.send_eth(owner.address, 1, owner)])[0]
    block = chain_client.w3.eth.get_block(receipt["blockNumber"])
    assert block["timestamp"] >= before + 3600
    with pytest.raises(ValidationError):
        chain_client.advance_time(-1)


def test_bad_inputs_are_clear_errors(token_setup: Any) -> None:
    client, token = token_setup.client, token_setup.token
    with pytest.raises(ConfigError, match="no compiled artifact"):
        client.deploy("NoSuchContract", sender=token_setup.owner)
    with pytest.raises(ValidationError, match="not an Ethereum address"):
        client.contract_at("FMLToken", "0x1234")
    with pytest.raises(ValidationError, match="no contract code"):
        client.contract_at("FMLToken", client.new_account(eth_wei=0).address)
    with pytest.raises(ValidationError, match="bad constructor arguments"):
        client.deploy("FMLToken", 1, 2, sender=token_setup.owner)
    with pytest.raises(ValidationError, match="gas must be positive"):
        client.send(token.functions.transfer(token_setup.owner.address, 1), token_setup.owner, gas=0)


def test_connect_to_nothing_is_a_chain_error() -> None:
    from fedledger.chain.anvil import free_port

    with pytest.raises(ChainError, match="cannot reach a JSON-RPC node"):
        ChainClient.connect(f"http://127.0.0.1:{free_port()}", timeout_s=2)
    with pytest.raises(ConfigError):
        ChainClient.connect("ws://127.0.0.1:1")


def test_send_many_batches_with_consecutive_nonces(token_setup: Any) -> None:
    client, token, owner = token_setup.client, token_setup.token, token_setup.owner
    alice = client.new_account()
    first_nonce = client.w3.eth.get_transaction_count(owner.address)
    hashes = client.send_many([token.functions.transfer(alice.address, 2) for _ in range(7)], owner, gas=80_000)
    # A single send afterwards continues the same nonce sequence.
    hashes.append(client.send(token.functions.transfer(alice.address, 3), owner, gas=80_000))
    receipts = client.wait_all(hashes)
    assert all(r["status"] == 1 for r in receipts)
    assert [client.w3.eth.get_transaction(h)["nonce"] for h in hashes] == list(range(first_nonce, first_nonce + 8))
    assert client.call(token.functions.balanceOf(alice.address)) == 17


def test_nonce_recovers_after_a_rejected_send(chain_client: ChainClient) -> None:
    """A tx the node refuses (here: sender cannot pay for gas) must not leave a nonce gap."""
    broke = chain_client.new_account(eth_wei=0)
    target = chain_client.dev_accounts()[1].address
    with pytest.raises(ChainError):
        chain_client.send_eth(target, 1, broke)
    chain_client.wait_all([chain_client.send_eth(broke.address, 10**18, chain_client.dev_accounts()[0])])
    receipt = chain_client.wait_all([chain_client.send_eth(target, 1, broke)])[0]
    assert receipt["status"] == 1
    assert chain_client.w3.eth.get_transaction(receipt["transactionHash"])["nonce"] == 0


# Contract-creation code that logs block.prevrandao: PREVRANDAO PUSH1 0 MSTORE PUSH1 32 PUSH1 0 LOG0 STOP
LOG_PREVRANDAO_INITCODE = bytes.fromhex("4460005260206000a000")


def test_prevrandao_is_random_and_matches_the_block(chain_client: ChainClient) -> None:
    """Role draws read block.prevrandao; on every backend it must vary and equal the header's mixHash."""
    owner = chain_client.dev_accounts()[0]
    seen = []
    for _ in range(2):
        receipt = chain_client.transact_data(None, LOG_PREVRANDAO_INITCODE, owner, gas=100_000)
        value = int.from_bytes(bytes(receipt["logs"][0]["data"]), "big")
        block = chain_client.w3.eth.get_block(receipt["blockNumber"])
        assert value == int.from_bytes(bytes(block["mixHash"]), "big")
        seen.append(value)
    assert seen[0] != 0 and seen[0] != seen[1]


def test_seeded_embedded_beacon_replays_exactly() -> None:
    """A seeded simulation must draw the same roles every run: same seed, same prevrandao."""

    def beacon(seed: int) -> list[int]:
        client = ChainClient.embedded(beacon_seed=seed)
        owner = client.dev_accounts()[0]
        values = []
        for _ in range(2):
            receipt = client.transact_data(None, LOG_PREVRANDAO_INITCODE, owner, gas=100_000)
            values.append(int.from_bytes(bytes(receipt["logs"][0]["data"]), "big"))
        return values

    first = beacon(7)
    assert first == beacon(7) and first[0] != first[1] and first != beacon(8)


def test_embedded_fast_views_equal_the_web3_path() -> None:
    """Views answered straight from py-evm decode to exactly what web3's eth_call path
    returns (structs, address arrays, strings), follow new blocks and time travel, and a
    reverting view still raises the decoded error."""
    from tests.contracts.alliance_harness import GAS_START, deploy_stack

    client = ChainClient.embedded(beacon_seed=7)
    stack = deploy_stack(client)
    creator, *people = stack.people(4)
    task = stack.create_task(creator, minParticipants=3, maxParticipants=3)
    stack.join_all(task, people, [100 * 10**18] * 3)
    stack.tx(task.functions.startRound(), people[0], GAS_START)
    fns = [
        task.functions.config(),
        task.functions.status(),
        task.functions.roundInfo(0),
        task.functions.participants(),
        task.functions.participantInfo(people[1].address),
        task.functions.voteOf(0, people[2].address),
        stack.token.functions.name(),
        stack.token.functions.balanceOf(people[0].address),
        stack.token.functions.owner(),
    ]

    def both() -> tuple[list[Any], list[Any]]:
        client._view_cache.clear()
        fast = [client.call(fn) for fn in fns]
        views, client._views = client._views, None
        try:
            client._view_cache.clear()
            slow = [client.call(fn) for fn in fns]
        finally:
            client._views = views
        return fast, slow

    fast, slow = both()
    assert fast == slow and [type(v) for v in fast] == [type(v) for v in slow]
    assert len(fast[2][4]) >= 1  # roundInfo's proposer addresses
    before = fast
    client.advance_time(4000)
    stack.tx(stack.token.functions.mint(people[0].address, 5), stack.owner, 250_000)
    fast, slow = both()
    assert fast == slow and fast != before
    with pytest.raises(RevertError) as info:
        client.call(stack.token.functions.mint(people[0].address, 1), sender=people[0].address)
    assert info.value.error_name == "OwnableUnauthorizedAccount"
    assert client.now() == client.w3.eth.get_block("latest")["timestamp"]


def test_a_sender_without_gas_money_is_told_how_to_fund_it(chain_client: ChainClient) -> None:
    owner = chain_client.dev_accounts()[0]
    token = chain_client.deploy("FMLToken", owner.address, sender=owner)
    poor = chain_client.new_account(eth_wei=0)
    with pytest.raises(ChainError, match=rf"{poor.address} cannot pay for this transaction's gas: it holds 0 ETH.*fedledger fund"):
        chain_client.send(token.functions.transfer(owner.address, 0), poor, gas=100_000)
    chain_client.send_eth(poor.address, 10**17, owner)
    assert chain_client.transact(token.functions.transfer(owner.address, 0), poor)["status"] == 1  # its nonce is intact
