"""Test driver for the Alliance contracts on a real EVM (embedded py-evm or anvil).

Deploys FMLToken + AllianceTask implementation + TaskFactory, creates tasks, funds and joins
participants in batches (sign locally, send without estimates, wait in bulk: the embedded EVM
does only tens of tx/s), and reads the on-chain state the mirror tests compare with
`fedledger.protocol`. Nothing is mocked: every call is a real transaction or `eth_call`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract import Contract
from web3.logs import DISCARD

from fedledger.chain import ChainClient
from fedledger.core.errors import RevertError
from fedledger.protocol import (
    AllianceLedger,
    ProposerEntry,
    RoundSettlement,
    SettlementRules,
    VoterEntry,
    draw_roles,
    round_seed,
    ticket,
    vote_commitment,
)

ZERO32 = b"\x00" * 32
SPEC_HASH = b"\x5e" * 32
GAS_TX = 400_000
GAS_FINALIZE = 3_000_000
GAS_START = 1_500_000
# Status / role enums as in IAllianceTask.
JOINING, TRAINING, FINISHED, CLOSED = 0, 1, 2, 3

CONFIG_FIELDS = (
    "specHash",
    "initialModelHash",
    "rewardPool",
    "stakeRequired",
    "minParticipants",
    "maxParticipants",
    "rounds",
    "proposerRatioBps",
    "proposerShareBps",
    "proposerSlashBps",
    "voterSlashBps",
    "absentSlashBps",
    "finalizerBonusBps",
    "sampleCap",
    "proposeWindow",
    "commitWindow",
    "revealWindow",
    "maxLifecycle",
)

DEFAULT_CONFIG: dict[str, Any] = {
    "specHash": SPEC_HASH,
    "initialModelHash": ZERO32,
    "rewardPool": 10**21,
    "stakeRequired": 10**18,
    "minParticipants": 3,
    "maxParticipants": 12,
    "rounds": 2,
    "proposerRatioBps": 3000,
    "proposerShareBps": 6000,
    "proposerSlashBps": 5000,
    "voterSlashBps": 2000,
    "absentSlashBps": 1000,
    "finalizerBonusBps": 50,
    "sampleCap": 0,
    "proposeWindow": 100,
    "commitWindow": 100,
    "revealWindow": 100,
    "maxLifecycle": 10_000,
}


def config_tuple(**overrides: Any) -> tuple[Any, ...]:
    """An `AllianceConfig` struct as the ABI tuple, defaults overridden by keyword."""
    unknown = set(overrides) - set(CONFIG_FIELDS)
    if unknown:
        raise KeyError(f"unknown config fields {sorted(unknown)}")
    merged = {**DEFAULT_CONFIG, **overrides}
    return tuple(merged[f] for f in CONFIG_FIELDS)


def rules_of(cfg: dict[str, Any]) -> SettlementRules:
    """The mirror's settlement rules for a config dict."""
    return SettlementRules(
        rounds=cfg["rounds"],
        proposer_share_bps=cfg["proposerShareBps"],
        proposer_slash_bps=cfg["proposerSlashBps"],
        voter_slash_bps=cfg["voterSlashBps"],
        absent_slash_bps=cfg["absentSlashBps"],
        finalizer_bonus_bps=cfg["finalizerBonusBps"],
        stake_required=cfg["stakeRequired"],
        sample_cap=cfg["sampleCap"],
    )


@contextmanager
def expect_revert(error_name: str, *args: Any) -> Iterator[pytest.ExceptionInfo[RevertError]]:
    """Assert the block reverts with custom error `error_name` and exactly `args` (if given).

    The error-coverage meta-test reads the names passed here, so every custom error needs
    at least one `expect_revert("Name", ...)` somewhere under tests/contracts.
    """
    with pytest.raises(RevertError) as info:
        yield info
    assert info.value.error_name == error_name, f"expected {error_name}, got {info.value}"
    if args:
        assert tuple(info.value.error_args) == args, f"{error_name} args {info.value.error_args} != {args}"


@dataclass
class Stack:
    """One deployment of token + implementation + factory."""

    client: ChainClient
    owner: LocalAccount
    token: Contract
    implementation: Contract
    factory: Contract
    accounts: list[LocalAccount] = field(default_factory=list)

    def tx(self, fn: Any, sender: LocalAccount, gas: int | None = None) -> Any:
        """Send one transaction and wait (gas None: estimate, so reverts decode early)."""
        return self.client.transact(fn, sender, gas=gas)

    def batch(self, calls: Sequence[tuple[Any, LocalAccount, int]]) -> list[Any]:
        """Send many transactions without estimates and wait for all receipts."""
        hashes = [self.client.send(fn, sender, gas) for fn, sender, gas in calls]
        return self.client.wait_all(hashes)

    def fund(self, accounts: Sequence[LocalAccount], amount: int, spender: str) -> None:
        """Mint `amount` to each account and approve `spender` for it (two batched txs each)."""
        calls: list[tuple[Any, LocalAccount, int]] = []
        for acct in accounts:
            calls.append((self.token.functions.mint(acct.address, amount), self.owner, 250_000))
        for acct in accounts:
            calls.append((self.token.functions.approve(spender, amount), acct, 100_000))
        self.batch(calls)

    def people(self, n: int) -> list[LocalAccount]:
        """`n` funded-with-ETH accounts distinct from the owner (dev accounts first, then new ones)."""
        while len(self.accounts) < n:
            self.accounts.append(self.client.new_account(10**20))
        return self.accounts[:n]

    def create_task(self, creator: LocalAccount, **overrides: Any) -> Contract:
        """Create an AllianceTask clone through the factory (the creator is funded and approves)."""
        cfg = config_tuple(**overrides)
        pool = cfg[CONFIG_FIELDS.index("rewardPool")]
        self.batch(
            [
                (self.token.functions.mint(creator.address, pool), self.owner, 250_000),
                (self.token.functions.approve(self.factory.address, pool), creator, 100_000),
            ]
        )
        receipt = self.tx(self.factory.functions.createAllianceTask(cfg), creator)
        (event,) = self.factory.events.AllianceTaskCreated().process_receipt(receipt, errors=DISCARD)
        return self.client.contract_at("AllianceTask", event["args"]["task"])

    def join_all(self, task: Contract, accounts: Sequence[LocalAccount], stakes: Sequence[int]) -> None:
        """Mint, approve and join for every account in one batch (participant order kept)."""
        calls: list[tuple[Any, LocalAccount, int]] = []
        for acct, stake in zip(accounts, stakes, strict=True):
            calls.append((self.token.functions.mint(acct.address, stake), self.owner, 250_000))
            calls.append((self.token.functions.approve(task.address, stake), acct, 100_000))
        self.batch(calls)
        self.batch([(task.functions.join(s), a, 250_000) for a, s in zip(accounts, stakes, strict=True)])


def deploy_stack(client: ChainClient) -> Stack:
    """Deploy the three contracts from dev account 0 (the token's faucet owner)."""
    owner = client.dev_accounts()[0]
    token = client.deploy("FMLToken", owner.address, sender=owner)
    impl = client.deploy("AllianceTask", sender=owner)
    factory = client.deploy("TaskFactory", token.address, impl.address, sender=owner)
    others = [a for a in client.dev_accounts()[1:]]
    return Stack(client=client, owner=owner, token=token, implementation=impl, factory=factory, accounts=others)


@dataclass(frozen=True)
class ChainState:
    """The on-chain token accounts of one task."""

    stakes: dict[str, int]
    claimable: dict[str, int]
    pool: int
    global_hash: bytes
    balance: int
    status: int


def read_state(stack: Stack, task: Contract, extra: Sequence[str] = ()) -> ChainState:
    """Stakes and claimables of all participants plus `extra` addresses, pool, hash, balance."""
    call = stack.client.call
    parts = list(call(task.functions.participants()))
    stakes: dict[str, int] = {}
    claimable: dict[str, int] = {}
    for addr in [*parts, *extra]:
        info = call(task.functions.participantInfo(addr))
        # ParticipantView: joined, withdrawn, index, stake, claimable, acceptedProposals, majorityVotes
        if addr in parts:
            stakes[addr] = int(info[3])
        claimable[addr] = int(info[4])
    return ChainState(
        stakes=stakes,
        claimable=claimable,
        pool=int(call(task.functions.pool())),
        global_hash=bytes(call(task.functions.globalModelHash())),
        balance=int(call(stack.token.functions.balanceOf(task.address))),
        status=int(call(task.functions.status())),
    )


def prevrandao_of(client: ChainClient, block_number: int) -> int:
    """`block.prevrandao` of a mined block (the header's mixHash after the merge)."""
    block = client.w3.eth.get_block(block_number)
    mix = block.get("mixHash") or block.get("prevRandao")
    return int.from_bytes(bytes(mix), "big")


def advance_past(client: ChainClient, deadline: int) -> None:
    """Move the chain clock so the next block is strictly after `deadline`."""
    now = client.now()
    if now <= deadline:
        client.advance_time(deadline - now + 1)


@dataclass(frozen=True)
class Act:
    """What one participant does in a round (only the fields of its role are used)."""

    submit: bool = True
    num_samples: int = 100
    update_hash: bytes = b"\xaa" * 32
    commit: bool = True
    reveal: bool = True
    accept_bitmap: int = 0
    aggregate_hash: bytes = b"\x01" * 32
    salt: bytes = b"\x5a" * 32


def play_round(
    stack: Stack,
    task: Contract,
    ledger: AllianceLedger,
    by_address: dict[str, LocalAccount],
    plan: Mapping[str, Act] | Callable[[str, bool, int], Act],
    finalizer: LocalAccount,
    ratio_bps: int,
) -> tuple[RoundSettlement, Any]:
    """Run one full round on-chain as `plan` says, settle the ledger the same way, return both.

    `plan` maps an address to its act, or is called once per participant in the draw as
    `plan(address, is_proposer, position)` once the roles are drawn (position: proposer index
    for a proposer, else rank among the participants that do not propose, in participant order).
    Every participant not ejected votes, proposers included, so a proposer's act gives both its
    update (submit, num_samples, update_hash) and its vote (commit, reveal, accept_bitmap, ...).

    Also checks the role draw against `fedledger.protocol.draw_roles` from the block's
    prevrandao, so the mirror covers roles as well as money.
    """
    client = stack.client
    r = ledger.current_round
    pioneer = ledger.pioneer_round
    start = stack.tx(task.functions.startRound(), finalizer, gas=GAS_START)
    ledger.start_round()
    info = client.call(task.functions.roundInfo(r))
    seed, pd, cd, rd_, proposers = bytes(info[0]), int(info[1]), int(info[2]), int(info[3]), list(info[4])
    if not client.is_embedded:
        # eth-tester draws a block's mixHash when it seals the block, which is not always the
        # prevrandao the transactions saw, so the seed formula is only checked on real nodes.
        randao = prevrandao_of(client, start["blockNumber"])
        assert seed == round_seed(randao, task.address, r)
        for addr in ledger.participants:
            assert client.call(task.functions.ticketOf(r, addr)) == ticket(seed, addr)
    expected_props, voters = draw_roles(
        seed, ledger.participants, ratio_bps, pioneer, ledger.missed_last_round, ledger.ejected
    )
    assert list(expected_props) == proposers
    assert set(proposers) <= set(voters), "every participant not ejected votes, proposers too"
    if callable(plan):
        acts = {p: plan(p, True, i) for i, p in enumerate(proposers)}
        others = [v for v in voters if v not in acts]
        acts.update({v: plan(v, False, j) for j, v in enumerate(others)})
    else:
        acts = dict(plan)

    calls = []
    for i, p in enumerate(proposers):
        a = acts[p]
        if a.submit:
            calls.append((task.functions.submitUpdate(r, i, a.update_hash, a.num_samples), by_address[p], GAS_TX))
    if calls:
        stack.batch(calls)
    if len(calls) < len(proposers):
        advance_past(client, pd)
    calls = []
    for v in voters:
        a = acts[v]
        if a.commit:
            c = vote_commitment(r, v, a.accept_bitmap, a.aggregate_hash, a.salt)
            calls.append((task.functions.commitVote(r, c), by_address[v], GAS_TX))
    if calls:
        stack.batch(calls)
    committed = [v for v in voters if acts[v].commit]
    if len(committed) < len(voters):
        advance_past(client, cd)
    calls = []
    for v in committed:
        a = acts[v]
        if a.reveal:
            fn = task.functions.revealVote(r, a.accept_bitmap, a.aggregate_hash, a.salt)
            calls.append((fn, by_address[v], GAS_TX))
    if calls:
        stack.batch(calls)
    if len(calls) < len(voters):
        advance_past(client, rd_)
    receipt = stack.tx(task.functions.finalizeRound(r), finalizer, gas=GAS_FINALIZE)
    settlement = ledger.finalize(
        [ProposerEntry(p, acts[p].submit, acts[p].num_samples, acts[p].update_hash) for p in proposers],
        [
            VoterEntry(v, acts[v].commit and acts[v].reveal, acts[v].accept_bitmap, acts[v].aggregate_hash)
            for v in voters
        ],
        caller=finalizer.address,
    )
    outcome = int(client.call(task.functions.roundInfo(r))[6])
    assert outcome == settlement.outcome_bitmap
    return settlement, receipt


def assert_matches_ledger(stack: Stack, task: Contract, ledger: AllianceLedger, extra: Sequence[str] = ()) -> ChainState:
    """On-chain stakes, claimables, pool, hash, status and balance equal the ledger's."""
    addrs = sorted({*ledger.claimable, *extra} - set(ledger.participants))
    state = read_state(stack, task, addrs)
    assert state.stakes == {a: ledger.stakes[a] for a in ledger.participants}
    for a in {*state.claimable, *ledger.claimable}:
        assert state.claimable.get(a, 0) == ledger.claimable.get(a, 0), a
    assert state.pool == ledger.pool
    assert state.global_hash == ledger.global_hash
    assert state.status == int(ledger.status)
    assert state.balance == ledger.held
    assert [a for a in ledger.participants if stack.client.call(task.functions.isEjected(a))] == list(ledger.ejected)
    ledger.check_conservation()
    return state


def ledger_for(creator: str, **overrides: Any) -> AllianceLedger:
    """The pure expected model of a task created with `config_tuple(**overrides)`."""
    cfg = {**DEFAULT_CONFIG, **overrides}
    return AllianceLedger(
        rules_of(cfg),
        creator=creator,
        reward_pool=cfg["rewardPool"],
        min_participants=cfg["minParticipants"],
        max_participants=cfg["maxParticipants"],
        initial_global_hash=cfg["initialModelHash"],
    )
