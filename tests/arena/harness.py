"""Test driver for ArenaTask on a real EVM (embedded py-evm or anvil): deploy the stack, create a
task, fund and register many accounts in batches, play the scoring phases, read token accounts.

Nothing is mocked: every call is a real transaction or `eth_call`. Batches are signed locally
and sent with a fixed gas limit, then their receipts are collected together.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from eth_account.signers.local import LocalAccount

from fedledger.chain import ChainClient
from fedledger.chain.arena import ArenaTaskClient
from fedledger.chain.factory import Stack, deploy_stack
from fedledger.core.records import AllianceConfig, ArenaConfig

TOKEN = 10**18
GAS = 400_000
SPEC = b"\x5e" * 32
EVALSET = b"\xe5" * 32


def base_config(**overrides: Any) -> ArenaConfig:
    """A small task: 100-token pool, creator stake 100 (qualifies alone), k = 3."""
    cfg = ArenaConfig(
        spec_hash=SPEC,
        eval_set_hash=EVALSET,
        reward_pool=100 * TOKEN,
        trainer_stake=TOKEN,
        validator_stake=TOKEN,
        creator_stake=100 * TOKEN,
        max_trainers=8,
        max_validators=16,
        validators_per_submission=3,
        max_validations_per_validator=8,
        validator_tolerance=50_000,
        submission_window=1000,
        commit_window=1000,
        reveal_window=1000,
        max_duration=10_000,
    )
    return replace(cfg, **overrides)


def alliance_config(**overrides: Any) -> AllianceConfig:
    return replace(AllianceConfig(spec_hash=b"\xa1" * 32, reward_pool=0, stake_required=TOKEN, rounds=1), **overrides)


@dataclass
class ArenaEnv:
    """A deployed stack plus helpers; `creator` holds plenty of tokens."""

    client: ChainClient
    stack: Stack
    creator: LocalAccount
    accounts: list[LocalAccount] = field(default_factory=list)

    @property
    def owner(self) -> LocalAccount:
        return self.stack.owner

    def batch(self, calls: Sequence[tuple[Any, LocalAccount]], gas: int = GAS) -> list[Any]:
        hashes = [self.client.send(fn, sender, gas=gas) for fn, sender in calls]
        return self.client.wait_all(hashes)

    def people(self, n: int) -> list[LocalAccount]:
        """`n` fresh accounts funded with ETH (one batch)."""
        fresh = [self.client.new_account(eth_wei=0) for _ in range(n)]
        funder = self.owner
        self.client.wait_all([self.client.send_eth(a.address, 10**20, funder) for a in fresh])
        self.accounts.extend(fresh)
        return fresh

    def fund(self, accounts: Sequence[LocalAccount], amounts: Sequence[int], spender: str) -> None:
        tok = self.stack.token.contract.functions
        calls: list[tuple[Any, LocalAccount]] = []
        for a, amt in zip(accounts, amounts, strict=True):
            calls.append((tok.mint(a.address, amt), self.owner))
            calls.append((tok.approve(spender, amt), a))
        self.batch(calls)

    def create(self, config: ArenaConfig | None = None) -> ArenaTaskClient:
        return self.stack.factory.create_arena_task(config or base_config(), self.creator)

    def register_trainers(self, task: ArenaTaskClient, trainers: Sequence[LocalAccount]) -> None:
        stake = task.config().trainer_stake
        self.fund(trainers, [stake] * len(trainers), task.address)
        self.batch([(task.fn.registerTrainer(), t) for t in trainers])

    def register_validators(self, task: ArenaTaskClient, validators: Sequence[LocalAccount], stakes: Sequence[int]) -> None:
        self.fund(validators, stakes, task.address)
        self.batch([(task.fn.registerValidator(s), v) for v, s in zip(validators, stakes, strict=True)])

    def submit(self, task: ArenaTaskClient, trainers: Sequence[LocalAccount], hashes: Sequence[bytes] | None = None) -> None:
        hs = hashes or [bytes([i + 1]) * 32 for i in range(len(trainers))]
        self.batch([(task.fn.submitModel(h), t) for t, h in zip(trainers, hs, strict=True)])

    def advance_past(self, deadline: int) -> None:
        now = self.client.now()
        if now <= deadline:
            self.client.advance_time(deadline - now + 1)

    def score_all(
        self,
        task: ArenaTaskClient,
        validators: Sequence[LocalAccount],
        score_of: Any,
        reveal: Mapping[str, bool] | None = None,
    ) -> dict[tuple[int, str], int]:
        """Every drawn validator commits `score_of(submission, address)`; then all reveal (unless
        `reveal[address]` is False). Returns the scores committed."""
        by = {v.address: v for v in validators}
        subs = task.submissions()
        scores: dict[tuple[int, str], int] = {}
        salts: dict[tuple[int, str], bytes] = {}
        commits = []
        for sub in subs:
            for addr in sub.validators:
                s = int(score_of(sub.index, addr))
                salt = os.urandom(32)
                scores[(sub.index, addr)] = s
                salts[(sub.index, addr)] = salt
                commits.append((task.fn.commitScore(sub.index, task.score_commitment(sub.index, addr, s, salt)), by[addr]))
        self.batch(commits)
        reveals = [
            (task.fn.revealScore(i, scores[(i, a)], salts[(i, a)]), by[a])
            for (i, a) in scores
            if (reveal or {}).get(a, True)
        ]
        if len(reveals) < len(scores):
            self.advance_past(task.progress().commit_deadline)
        self.batch(reveals)
        return scores

    def token_balance(self, address: str) -> int:
        return self.stack.token.balance_of(address)


def make_env(client: ChainClient) -> ArenaEnv:
    owner = client.dev_accounts()[0]
    stack = deploy_stack(client, owner)
    creator = client.dev_accounts()[1]
    stack.token.mint(creator.address, 10**24, owner)
    return ArenaEnv(client=client, stack=stack, creator=creator)


def task_liabilities(task: ArenaTaskClient, env: ArenaEnv) -> int:
    """What the task owes right now: unwithdrawn stakes + unallocated pool + alliance reserve +
    unpaid budgets + creator's locked stake and refunds. Must equal its token balance."""
    out = task.outcome()
    stakes = 0
    for addr in [*task.trainers(), *task.validators()]:
        acc = task.account(addr)
        if not acc.withdrawn:
            stakes += acc.stake
    return stakes + out.pool + out.alliance_reserve + out.trainer_budget_left + out.validator_budget_left + out.creator_owed
