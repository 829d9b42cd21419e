"""Stateful test: random action sequences on a real AllianceTask keep tokens conserved.

A `RuleBasedStateMachine` drives join / start / submit / commit / reveal / finalize / time
jumps / close / withdraw — valid and invalid — against one task on the embedded EVM, with
`AllianceLedger` (pure) as the model. Every participant not ejected votes, proposers too (a
non-participant is the one that is "not a voter"). Invalid actions must revert with the error
the rules name; after every step the contract's stakes, claimables and pool equal the model's, and
`sum(stakes) + pool + sum(claimable) == token.balanceOf(task)`,
`that + withdrawn == deposits`, nothing negative.

Windows are 10,000 s and jumps 10,001 s, so whether a deadline has passed is never within a
few seconds of the wall-clock drift of the embedded chain.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from fedledger.chain import ChainClient
from fedledger.core.errors import RevertError
from fedledger.protocol import LedgerStatus, LedgerViolation, ProposerEntry, VoterEntry, vote_commitment

from .alliance_harness import GAS_FINALIZE, GAS_START, Stack, deploy_stack, ledger_for

WINDOW = 10_000
JUMP = WINDOW + 1
LIFECYCLE = 45_000
STAKE = 10
HASHES = [b"\x01" * 32, b"\x02" * 32]
CFG = dict(
    rewardPool=1_003,
    stakeRequired=STAKE,
    minParticipants=3,
    maxParticipants=4,
    rounds=2,
    proposerRatioBps=5000,
    proposerShareBps=6000,
    proposerSlashBps=6000,  # one rejection takes a stake of 10..14 below 5: ejection is reachable
    voterSlashBps=3000,
    absentSlashBps=2000,
    finalizerBonusBps=100,
    proposeWindow=WINDOW,
    commitWindow=WINDOW,
    revealWindow=WINDOW,
    maxLifecycle=LIFECYCLE,
)

_STACK: list[Stack] = []


def _stack() -> Stack:
    """One deployment for all runs (each run creates its own task)."""
    if not _STACK:
        s = deploy_stack(ChainClient.embedded())
        s.people(7)
        _STACK.append(s)
    return _STACK[0]


@dataclass
class RoundModel:
    """Acts of the open round, as the contract will see them at finalization."""

    index: int
    proposers: list[str]
    voters: list[str]  # every participant not ejected, proposers included
    deadlines: tuple[int, int, int]
    ejected: list[str] = field(default_factory=list)
    submitted: dict[int, int] = field(default_factory=dict)  # proposer index -> numSamples
    committed: dict[str, tuple[int, bytes, bytes]] = field(default_factory=dict)
    revealed: set[str] = field(default_factory=set)
    finalized: bool = False


class AllianceMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.stack = _stack()
        people = self.stack.people(7)
        self.creator, self.outsider, self.members = people[0], people[1], people[2:7]
        self.task = self.stack.create_task(self.creator, **CFG)
        self.ledger = ledger_for(self.creator.address, **CFG)
        self.by = {a.address: a for a in people}
        self.round: RoundModel | None = None
        self.client = self.stack.client

    # ------------------------------------------------------------------ helpers
    def _expect(self, fn, sender, error: str | None, gas: int = 400_000):  # type: ignore[no-untyped-def]
        if error is None:
            return self.stack.tx(fn, sender, gas=gas)
        with pytest.raises(RevertError) as info:
            self.stack.tx(fn, sender, gas=gas)
        assert info.value.error_name == error, f"expected {error}, got {info.value}"
        return None

    def _passed(self, deadline: int) -> bool:
        return self.client.now() > deadline

    def _training_round(self) -> str | None:
        """The error `_openRound` raises for the current round, or None."""
        if self.ledger.status != LedgerStatus.TRAINING:
            return "AllianceTaskWrongPhase"
        assert self.round is not None
        return "AllianceTaskAlreadyFinalized" if self.round.finalized else None

    # ------------------------------------------------------------------ rules
    @initialize(joined=st.sampled_from([0, 3, 3, 4]))
    def early_joins(self, joined: int) -> None:
        """Most runs start with enough participants, so rounds and payouts get explored."""
        for who in range(joined):
            self.join(who, False)

    @rule()
    def progress(self) -> None:
        """Take the next honest step, so random runs reach finalization and withdrawal."""
        led, rd = self.ledger, self.round
        if led.status == LedgerStatus.JOINING:
            if len(led.participants) < 3:
                self.join(len(led.participants), False)
            else:
                self.start(0)
        elif led.status == LedgerStatus.TRAINING:
            assert rd is not None
            if rd.finalized:
                self.start(0)
                return
            missing = [i for i in range(len(rd.proposers)) if i not in rd.submitted]
            uncommitted = [j for j, v in enumerate(rd.voters) if v not in rd.committed]
            unrevealed = [j for j, v in enumerate(rd.voters) if v in rd.committed and v not in rd.revealed]
            if missing and not self._passed(rd.deadlines[0]):
                self.submit(missing[0], False, 7 + missing[0])
            elif uncommitted and not self._passed(rd.deadlines[1]):
                self.commit(uncommitted[0], 1, uncommitted[0] % 2, False)
            elif unrevealed and not self._passed(rd.deadlines[2]):
                self.reveal(unrevealed[0], False)
            elif not uncommitted and not unrevealed or self._passed(rd.deadlines[2]):
                self.finalize(1)
            else:
                self.jump(1)
        else:
            pending = [i for i, a in enumerate([self.creator, self.outsider, *self.members]) if a.address not in led.withdrawn]
            if pending:
                self.withdraw(pending[0])

    @rule(who=st.integers(0, 4), low=st.booleans())
    def join(self, who: int, low: bool) -> None:
        acct = self.members[who]
        amount = STAKE - 1 if low else STAKE + who
        self.stack.batch(
            [
                (self.stack.token.functions.mint(acct.address, amount), self.stack.owner, 250_000),
                (self.stack.token.functions.approve(self.task.address, amount), acct, 100_000),
            ]
        )
        error = None
        try:
            self.ledger.join(acct.address, amount)
        except LedgerViolation as v:
            error = {
                "phase": "AllianceTaskWrongPhase",
                "already_joined": "AllianceTaskAlreadyJoined",
                "full": "AllianceTaskFull",
                "stake_too_low": "AllianceTaskStakeTooLow",
            }[v.rule]
        self._expect(self.task.functions.join(amount), acct, error, gas=250_000)

    @rule(who=st.integers(0, 4))
    def start(self, who: int) -> None:
        error = None
        try:
            self.ledger.start_round()
        except LedgerViolation as v:
            error = {
                "not_enough_participants": "AllianceTaskNotEnoughParticipants",
                "phase": "AllianceTaskRoundNotFinalized" if self.ledger.status == LedgerStatus.TRAINING
                else "AllianceTaskWrongPhase",
            }[v.rule]
        if self._expect(self.task.functions.startRound(), self.members[who], error, gas=GAS_START) is None:
            return
        r = self.ledger.current_round
        info = self.client.call(self.task.functions.roundInfo(r))
        props = list(info[4])
        self.round = RoundModel(
            index=r,
            proposers=props,
            voters=[a for a in self.ledger.participants if a not in self.ledger.ejected],
            deadlines=(int(info[1]), int(info[2]), int(info[3])),
            ejected=list(self.ledger.ejected),
        )
        assert int(info[11]) == len(self.round.voters)
        assert set(props) <= set(self.round.voters)

    @precondition(lambda self: self.round is not None)
    @rule(idx=st.integers(0, 1), wrong_sender=st.booleans(), samples=st.integers(0, 50))
    def submit(self, idx: int, wrong_sender: bool, samples: int) -> None:
        rd = self.round
        assert rd is not None
        r = rd.index
        not_proposing = [v for v in rd.voters if v not in rd.proposers]
        sender_addr = not_proposing[0] if wrong_sender or idx >= len(rd.proposers) else rd.proposers[idx]
        error = self._training_round()
        if error is None:
            if idx >= len(rd.proposers):
                error = "AllianceTaskProposerIndexOutOfRange"
            elif sender_addr != rd.proposers[idx]:
                error = "AllianceTaskNotProposer"
            elif self._passed(rd.deadlines[0]):
                error = "AllianceTaskDeadlinePassed"
            elif idx in rd.submitted:
                error = "AllianceTaskAlreadySubmitted"
            elif samples == 0:
                error = "AllianceTaskZeroSamples"
        fn = self.task.functions.submitUpdate(r, idx, b"\xab" * 32, samples)
        if self._expect(fn, self.by[sender_addr], error) is not None:
            rd.submitted[idx] = samples

    @precondition(lambda self: self.round is not None)
    @rule(
        vidx=st.integers(0, 3), bitmap=st.integers(0, 3), h=st.integers(0, 1), proposer_tries=st.booleans(),
        ejected_tries=st.booleans(), outsider_tries=st.booleans(),
    )
    def commit(
        self, vidx: int, bitmap: int, h: int, proposer_tries: bool, ejected_tries: bool = False,
        outsider_tries: bool = False,
    ) -> None:
        rd = self.round
        assert rd is not None
        r = rd.index
        if outsider_tries:
            sender = self.outsider.address  # never joins: the one kind of sender that is not a voter
        elif ejected_tries and rd.ejected:
            sender = rd.ejected[vidx % len(rd.ejected)]
        else:  # a proposer votes like anyone else
            sender = rd.proposers[vidx % len(rd.proposers)] if proposer_tries else rd.voters[vidx % len(rd.voters)]
        salt = bytes([vidx + 1]) * 32
        commitment = vote_commitment(r, sender, bitmap, HASHES[h], salt)
        error = self._training_round()
        if error is None:
            if sender in rd.ejected:
                error = "AllianceTaskEjected"
            elif sender not in rd.voters:
                error = "AllianceTaskNotVoter"
            elif sender in rd.committed:
                error = "AllianceTaskAlreadyCommitted"
            elif len(rd.submitted) < len(rd.proposers) and not self._passed(rd.deadlines[0]):
                error = "AllianceTaskPhaseNotOver"
            elif self._passed(rd.deadlines[1]):
                error = "AllianceTaskDeadlinePassed"
        if self._expect(self.task.functions.commitVote(r, commitment), self.by[sender], error) is not None:
            rd.committed[sender] = (bitmap, HASHES[h], salt)

    @precondition(lambda self: self.round is not None)
    @rule(vidx=st.integers(0, 3), tamper=st.booleans(), outsider_tries=st.booleans())
    def reveal(self, vidx: int, tamper: bool, outsider_tries: bool = False) -> None:
        rd = self.round
        assert rd is not None
        r = rd.index
        sender = self.outsider.address if outsider_tries else rd.voters[vidx % len(rd.voters)]
        bitmap, agg, salt = rd.committed.get(sender, (0, HASHES[0], b"\x09" * 32))
        if tamper:
            bitmap ^= 1
        error = self._training_round()
        if error is None:
            if sender not in rd.committed:
                error = "AllianceTaskNotCommitted"
            elif len(rd.committed) < len(rd.voters) and not self._passed(rd.deadlines[1]):
                error = "AllianceTaskPhaseNotOver"
            elif self._passed(rd.deadlines[2]):
                error = "AllianceTaskDeadlinePassed"
            elif sender in rd.revealed:
                error = "AllianceTaskAlreadyRevealed"
            elif tamper:
                error = "AllianceTaskCommitmentMismatch"
        if self._expect(self.task.functions.revealVote(r, bitmap, agg, salt), self.by[sender], error) is not None:
            rd.revealed.add(sender)

    @precondition(lambda self: self.round is not None)
    @rule(caller=st.integers(0, 6))
    def finalize(self, caller: int) -> None:
        rd = self.round
        assert rd is not None
        r = rd.index
        acct = [self.creator, self.outsider, *self.members][caller]
        error = self._training_round()
        if error is None and len(rd.revealed) < len(rd.voters) and not self._passed(rd.deadlines[2]):
            error = "AllianceTaskPhaseNotOver"
        if self._expect(self.task.functions.finalizeRound(r), acct, error, gas=GAS_FINALIZE) is None:
            return
        proposers = [
            ProposerEntry(p, i in rd.submitted, rd.submitted.get(i, 0), b"\xab" * 32) for i, p in enumerate(rd.proposers)
        ]
        voters = [
            VoterEntry(v, v in rd.revealed, *(rd.committed[v][:2] if v in rd.revealed else (0, b"\x00" * 32)))
            for v in rd.voters
        ]
        self.ledger.finalize(proposers, voters, caller=acct.address)
        rd.finalized = True

    @rule(k=st.sampled_from([1, 5]))
    def jump(self, k: int) -> None:
        self.client.advance_time(JUMP * k)

    @rule(caller=st.integers(0, 6))
    def close(self, caller: int) -> None:
        acct = [self.creator, self.outsider, *self.members][caller]
        error = None
        if self.ledger.status not in (LedgerStatus.JOINING, LedgerStatus.TRAINING):
            error = "AllianceTaskWrongPhase"
        else:
            closes_at = self.client.call(self.task.functions.createdAt()) + LIFECYCLE
            if not self._passed(closes_at):
                error = "AllianceTaskLifecycleNotOver"
        if self._expect(self.task.functions.close(), acct, error) is not None:
            self.ledger.close()
            if self.round is not None:
                self.round.finalized = True  # abandoned

    @rule(who=st.integers(0, 6))
    def withdraw(self, who: int) -> None:
        acct = [self.creator, self.outsider, *self.members][who]
        before = self.client.call(self.stack.token.functions.balanceOf(acct.address))
        error = None
        expected = 0
        try:
            expected = self.ledger.withdraw(acct.address)
        except LedgerViolation as v:
            error = {
                "phase": "AllianceTaskWrongPhase",
                "already_withdrawn": "AllianceTaskAlreadyWithdrawn",
                "nothing_to_withdraw": "AllianceTaskNothingToWithdraw",
            }[v.rule]
        if self._expect(self.task.functions.withdraw(), acct, error) is not None:
            after = self.client.call(self.stack.token.functions.balanceOf(acct.address))
            assert after - before == expected

    # ------------------------------------------------------------------ invariants
    @invariant()
    def tokens_conserved(self) -> None:
        call = self.client.call
        led = self.ledger
        balance = call(self.stack.token.functions.balanceOf(self.task.address))
        stakes = claim = 0
        for acct in [self.creator, self.outsider, *self.members]:
            info = call(self.task.functions.participantInfo(acct.address))
            stake, claimable = int(info[3]), int(info[4])
            assert stake >= 0 and claimable >= 0
            assert stake == led.stakes.get(acct.address, 0), acct.address
            assert claimable == led.claimable.get(acct.address, 0), acct.address
            # A proposer may count an accepted proposal and a majority vote in the same round.
            assert int(info[5]) == led.accepted_proposals.get(acct.address, 0), acct.address
            assert int(info[6]) == led.majority_votes.get(acct.address, 0), acct.address
            assert call(self.task.functions.isEjected(acct.address)) == (acct.address in led.ejected)
            stakes += stake
            claim += claimable
        pool = call(self.task.functions.pool())
        assert pool == led.pool
        assert stakes + pool + claim == balance == led.held
        assert balance + led.total_withdrawn == led.deposits
        assert call(self.task.functions.status()) == int(led.status)
        led.check_conservation()


_SETTINGS = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    phases=(Phase.explicit, Phase.reuse, Phase.generate),  # shrinking a chain run takes minutes
)

TestAllianceStateMachine = AllianceMachine.TestCase
TestAllianceStateMachine.settings = settings(max_examples=5, stateful_step_count=30, **_SETTINGS)


class AllianceMachineLarge(AllianceMachine):
    """Same machine, bigger run for the slow tier."""


TestAllianceStateMachineLarge = pytest.mark.slow(AllianceMachineLarge.TestCase)
TestAllianceStateMachineLarge.settings = settings(max_examples=15, stateful_step_count=40, **_SETTINGS)
