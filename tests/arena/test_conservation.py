"""Token conservation under random action sequences (hypothesis stateful test on the embedded EVM).

At every step the task's token balance equals what it owes (unwithdrawn stakes + pool + alliance
reserve + unpaid budgets + creator's stake and refunds), and deposits = balance + everything paid
out. Actions that the contract refuses are tried too: a revert must change nothing.
"""

from __future__ import annotations

import os

import pytest

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from fedledger.chain import ChainClient
from fedledger.core.errors import RevertError

from .harness import TOKEN, base_config, make_env, task_liabilities


class ArenaMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self) -> None:
        self.env = make_env(ChainClient.embedded())
        cfg = base_config(max_trainers=4, max_validators=5, validators_per_submission=2,
                          max_validations_per_validator=3, alliance_share_bps=1500, submission_window=100,
                          commit_window=100, reveal_window=100, max_duration=1000)
        self.task = self.env.create(cfg)
        people = self.env.people(8)
        self.trainers, self.validators = people[:4], people[4:8]
        env, task = self.env, self.task
        env.fund(self.trainers, [TOKEN] * 4, task.address)
        env.fund(self.validators, [20 * TOKEN] * 4, task.address)
        self.deposits = cfg.reward_pool + cfg.creator_stake
        self.paid = 0
        self.salts: dict[tuple[int, str], tuple[int, bytes]] = {}

    def _try(self, fn, *args) -> bool:  # type: ignore[no-untyped-def]
        before = self.env.token_balance(self.task.address)
        try:
            fn(*args)
        except RevertError:
            assert self.env.token_balance(self.task.address) == before
            return False
        return True

    def _payout(self, person) -> None:  # type: ignore[no-untyped-def]
        before = self.env.token_balance(person.address)
        if self._try(self.task.withdraw, person):
            self.paid += self.env.token_balance(person.address) - before

    @rule(i=st.integers(0, 3))
    def register_trainer(self, i: int) -> None:
        if self._try(self.task.register_trainer, self.trainers[i], False):
            self.deposits += TOKEN

    @rule(i=st.integers(0, 3), stake=st.integers(1, 20))
    def register_validator(self, i: int, stake: int) -> None:
        if self._try(self.task.register_validator, stake * TOKEN, self.validators[i], False):
            self.deposits += stake * TOKEN

    @rule(i=st.integers(0, 3))
    def submit(self, i: int) -> None:
        self._try(self.task.submit_model, bytes([i + 1]) * 32, self.trainers[i])

    @rule(seconds=st.sampled_from([30, 101, 250]))
    def wait(self, seconds: int) -> None:
        self.env.client.advance_time(seconds)

    @rule()
    def draw(self) -> None:
        self._try(self.task.draw_validators, self.env.owner)

    @rule(i=st.integers(0, 3), s=st.integers(0, 3), score=st.integers(0, 1_000_000))
    def commit(self, i: int, s: int, score: int) -> None:
        v = self.validators[i]
        salt = os.urandom(32)
        if self._try(self.task.commit_score_value, s, score, salt, v):
            self.salts[(s, v.address)] = (score, salt)

    @rule(i=st.integers(0, 3), s=st.integers(0, 3))
    def reveal(self, i: int, s: int) -> None:
        v = self.validators[i]
        score, salt = self.salts.get((s, v.address), (0, b"\x00" * 32))
        self._try(self.task.reveal_score, s, score, salt, v)

    @rule()
    def finalize(self) -> None:
        self._try(self.task.finalize, self.env.owner)

    @rule()
    def close(self) -> None:
        self._try(self.task.close, self.env.owner)

    @rule()
    def derive(self) -> None:
        from .harness import alliance_config

        before = self.env.token_balance(self.task.address)
        if self._try(self.task.derive_alliance, alliance_config(), self.env.creator):
            self.paid += before - self.env.token_balance(self.task.address)

    @rule(i=st.integers(0, 8))
    def withdraw(self, i: int) -> None:
        people = [*self.trainers, *self.validators, self.env.creator]
        self._payout(people[i])

    @invariant()
    def conserved(self) -> None:
        balance = self.env.token_balance(self.task.address)
        assert balance == task_liabilities(self.task, self.env)
        assert balance + self.paid == self.deposits


class TestArenaConservation(ArenaMachine.TestCase):  # type: ignore[name-defined,misc]
    """Fast tier: a couple of random runs."""

    settings = settings(max_examples=2, stateful_step_count=30, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.slow
class TestArenaConservationLong(ArenaMachine.TestCase):  # type: ignore[name-defined,misc]
    """Slow tier: many more and longer runs."""

    settings = settings(max_examples=8, stateful_step_count=40, deadline=None, suppress_health_check=list(HealthCheck))
