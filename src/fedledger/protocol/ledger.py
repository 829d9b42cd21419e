"""`AllianceLedger`: a pure model of one Alliance task's token accounts and lifecycle.

It follows a task through join, rounds, close and withdraw using `settle_round` for the
round maths, and is the expected model of the stateful contract test: after every step the
contract's stakes, pool and claimable balances must equal the ledger's, and the ledger keeps
`sum(stakes) + pool + sum(claimable) + withdrawn == deposits` by construction (checked by
`check_conservation`). Invalid actions raise `LedgerViolation` naming the broken rule.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from fedledger.core.errors import ValidationError
from fedledger.core.types import ZERO_DIGEST
from fedledger.protocol.alliance import (
    ProposerEntry,
    RoundSettlement,
    SettlementRules,
    VoterEntry,
    settle_round,
)
from fedledger.protocol.encoding import as_bytes32, as_uint, checksum
from fedledger.protocol.roles import MAX_PARTICIPANTS


class LedgerViolation(ValidationError):
    """An action the Alliance rules forbid in the current state; `rule` names which one."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


class LedgerStatus(enum.IntEnum):
    """Task lifecycle states, numbered as the contract's `Status` enum."""

    JOINING = 0
    TRAINING = 1
    FINISHED = 2
    CLOSED = 3


class AllianceLedger:
    """Expected token state of one AllianceTask, updated action by action."""

    def __init__(
        self,
        rules: SettlementRules,
        *,
        creator: str,
        reward_pool: int,
        min_participants: int,
        max_participants: int,
        initial_global_hash: bytes = ZERO_DIGEST,
    ) -> None:
        if as_uint(reward_pool, "reward_pool") == 0:
            raise ValidationError("reward_pool must be > 0: a task escrows its reward at creation")
        if not 3 <= min_participants <= max_participants <= MAX_PARTICIPANTS:
            raise ValidationError(
                f"need 3 <= min_participants <= max_participants <= {MAX_PARTICIPANTS}, "
                f"got {min_participants}..{max_participants}"
            )
        self.rules = rules
        self.creator = checksum(creator)
        self.stake_required = rules.stake_required
        self.min_participants = min_participants
        self.max_participants = max_participants
        self.global_hash = as_bytes32(initial_global_hash, "initial_global_hash")
        self.status = LedgerStatus.JOINING
        self.participants: list[str] = []
        self.stakes: dict[str, int] = {}
        self.pool = reward_pool
        self.deposits = reward_pool
        self.claimable: dict[str, int] = {}
        self.withdrawn: dict[str, int] = {}
        self.current_round = 0
        """Index of the round in progress, or of the next one to start."""
        self.round_open = False
        self.accepted_proposals: dict[str, int] = {}
        self.majority_votes: dict[str, int] = {}
        self.history: list[RoundSettlement] = []
        self.missed_last_round: tuple[str, ...] = ()
        """Participants that did not act in their role in the last settled round (drawn last next)."""
        self.ejected: tuple[str, ...] = ()
        """Participants ejected so far (stake below half of `stake_required`), in participant order."""

    # -- views -------------------------------------------------------------------------
    @property
    def pioneer_round(self) -> bool:
        """Whether the current round is a pioneering round (round 0, no initial model)."""
        return self.current_round == 0 and self.global_hash == ZERO_DIGEST and not self.history

    @property
    def held(self) -> int:
        """Tokens the task contract must hold: stakes + pool + claimable."""
        return sum(self.stakes.values()) + self.pool + sum(self.claimable.values())

    @property
    def total_withdrawn(self) -> int:
        """Tokens already paid out by `withdraw`."""
        return sum(self.withdrawn.values())

    def check_conservation(self) -> None:
        """Raise `LedgerViolation` unless held + withdrawn == deposits and nothing is negative."""
        values = [self.pool, *self.stakes.values(), *self.claimable.values(), *self.withdrawn.values()]
        if any(v < 0 for v in values):
            raise LedgerViolation("negative", "a balance went negative")
        if self.held + self.total_withdrawn != self.deposits:
            raise LedgerViolation(
                "conservation", f"held {self.held} + withdrawn {self.total_withdrawn} != deposits {self.deposits}"
            )

    # -- actions -----------------------------------------------------------------------
    def join(self, address: str, amount: int) -> None:
        """Stake `amount` for `address` (only while joining, once, within capacity)."""
        addr = checksum(address)
        if self.status != LedgerStatus.JOINING:
            raise LedgerViolation("phase", f"join needs status JOINING, task is {self.status.name}")
        if addr in self.stakes:
            raise LedgerViolation("already_joined", f"{addr} already joined")
        if len(self.participants) >= self.max_participants:
            raise LedgerViolation("full", f"task is full ({self.max_participants} participants)")
        if as_uint(amount, "amount") < self.stake_required:
            raise LedgerViolation("stake_too_low", f"stake {amount} < required {self.stake_required}")
        self.participants.append(addr)
        self.stakes[addr] = amount
        self.deposits += amount

    def start_round(self) -> int:
        """Open the next round and return its index."""
        if self.round_open:
            raise LedgerViolation("phase", f"round {self.current_round} is still open")
        if self.current_round == 0 and not self.history:
            if self.status != LedgerStatus.JOINING:
                raise LedgerViolation("phase", f"round 0 needs status JOINING, task is {self.status.name}")
            if len(self.participants) < self.min_participants:
                raise LedgerViolation(
                    "not_enough_participants", f"{len(self.participants)} < {self.min_participants} joined"
                )
            self.status = LedgerStatus.TRAINING
        elif self.status != LedgerStatus.TRAINING:
            raise LedgerViolation("phase", f"starting a round needs TRAINING, task is {self.status.name}")
        self.round_open = True
        return self.current_round

    def finalize(self, proposers: Sequence[ProposerEntry], voters: Sequence[VoterEntry], caller: str) -> RoundSettlement:
        """Settle the open round with the given acts and apply the result."""
        if self.status != LedgerStatus.TRAINING or not self.round_open:
            raise LedgerViolation("phase", "no round is open")
        result = settle_round(
            self.rules,
            round_index=self.current_round,
            pool=self.pool,
            stakes={a: self.stakes[a] for a in self.participants},
            proposers=proposers,
            voters=voters,
            global_hash=self.global_hash,
            caller=caller,
            ejected=self.ejected,
        )
        self.apply(result)
        return result

    def apply(self, result: RoundSettlement) -> None:
        """Apply a settlement computed for the open round."""
        if result.round_index != self.current_round or not self.round_open:
            raise LedgerViolation("phase", f"settlement for round {result.round_index} does not match the open round")
        self.stakes.update(result.new_stakes)
        for addr, amount in result.rewards.items():
            self.claimable[addr] = self.claimable.get(addr, 0) + amount
        self.pool = result.new_pool
        self.global_hash = result.new_global_hash
        for addr in result.accepted_addresses:
            self.accepted_proposals[addr] = self.accepted_proposals.get(addr, 0) + 1
        for addr in result.majority_voters:
            self.majority_votes[addr] = self.majority_votes.get(addr, 0) + 1
        self.history.append(result)
        self.missed_last_round = result.absent_addresses
        if result.ejected_addresses:
            out = set(self.ejected) | set(result.ejected_addresses)
            self.ejected = tuple(a for a in self.participants if a in out)
        self.round_open = False
        self.current_round += 1
        if result.finished:
            self._refund(result.refund)
            self.status = LedgerStatus.FINISHED

    def close(self) -> int:
        """Close an unfinished task (lifecycle over): abandon the open round, refund the pool."""
        if self.status not in (LedgerStatus.JOINING, LedgerStatus.TRAINING):
            raise LedgerViolation("phase", f"close needs JOINING or TRAINING, task is {self.status.name}")
        refund = self.pool
        self._refund(refund)
        self.pool = 0
        self.round_open = False
        self.status = LedgerStatus.CLOSED
        return refund

    def withdraw(self, address: str) -> int:
        """Pay out `stake + claimable` of `address` once the task is over; returns the amount."""
        addr = checksum(address)
        if self.status not in (LedgerStatus.FINISHED, LedgerStatus.CLOSED):
            raise LedgerViolation("phase", f"withdraw needs FINISHED or CLOSED, task is {self.status.name}")
        if addr in self.withdrawn:
            raise LedgerViolation("already_withdrawn", f"{addr} already withdrew")
        amount = self.stakes.get(addr, 0) + self.claimable.get(addr, 0)
        if amount == 0 and addr not in self.stakes:
            # A participant may withdraw zero (it still records its participation); others may not.
            raise LedgerViolation("nothing_to_withdraw", f"{addr} never joined and has nothing claimable")
        if addr in self.stakes:
            self.stakes[addr] = 0
        self.claimable.pop(addr, None)
        self.withdrawn[addr] = amount
        return amount

    def _refund(self, amount: int) -> None:
        if amount:
            self.claimable[self.creator] = self.claimable.get(self.creator, 0) + amount
