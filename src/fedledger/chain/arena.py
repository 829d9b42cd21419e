"""`ArenaTaskClient`: typed access to one ArenaTask clone (competition task).

Why a wrapper: the node's trainer and validator roles, the demo and the tests drive an Arena task
through these methods and get `fedledger.core.records` values back, so nothing above `chain/`
touches web3. The score commitment is computed here exactly as the contract recomputes it at
reveal, so a validator can commit without a chain round-trip. docs/arena-protocol.md has the rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_abi import encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from web3.logs import DISCARD
from web3.types import TxReceipt

from fedledger.chain.alliance import AllianceTaskClient, config_to_abi
from fedledger.chain.abi_values import checked_digest, checked_uint
from fedledger.chain.client import ChainClient
from fedledger.chain.task_client import TaskContractClient
from fedledger.core.errors import ChainError, ValidationError
from fedledger.core.types import as_digest
from fedledger.core.records import (
    ARENA_SCORE_SCALE,
    AllianceConfig,
    ArenaAccount,
    ArenaConfig,
    ArenaOutcome,
    ArenaPhase,
    ArenaProgress,
    ArenaRole,
    ArenaStatus,
    ArenaSubmission,
    ArenaVote,
    WeightMode,
)

ARTIFACT = "ArenaTask"
ZERO_ADDRESS = "0x" + "00" * 20
#: Protocol caps (ArenaConfigLib).
MAX_TRAINERS = 256
MAX_VALIDATORS = 1024
MAX_VALIDATORS_PER_SUBMISSION = 16
#: Gas for one `drawValidators(1)` with k <= 16 and 1,024 validators, with headroom.
DRAW_GAS_PER_SUBMISSION = 600_000




def arena_config_to_abi(config: ArenaConfig) -> tuple[Any, ...]:
    """The `ArenaConfig` tuple in the contract's field order."""
    return (
        checked_digest(config.spec_hash, "spec_hash"),
        checked_digest(config.eval_set_hash, "eval_set_hash"),
        checked_digest(config.alliance_config_hash, "alliance_config_hash"),
        checked_uint(config.reward_pool, "reward_pool"),
        checked_uint(config.creator_stake, "creator_stake"),
        checked_uint(config.trainer_stake, "trainer_stake"),
        checked_uint(config.validator_stake, "validator_stake"),
        checked_uint(config.max_trainers, "max_trainers", 16),
        checked_uint(config.max_validators, "max_validators", 16),
        checked_uint(config.validators_per_submission, "validators_per_submission", 16),
        checked_uint(config.max_validations_per_validator, "max_validations_per_validator", 16),
        checked_uint(config.trainer_share_bps, "trainer_share_bps", 16),
        checked_uint(config.validator_slash_bps, "validator_slash_bps", 16),
        checked_uint(config.absent_slash_bps, "absent_slash_bps", 16),
        checked_uint(config.alliance_share_bps, "alliance_share_bps", 16),
        checked_uint(config.validator_tolerance, "validator_tolerance", 64),
        checked_uint(config.score_exponent, "score_exponent", 8),
        checked_uint(int(config.weight_mode), "weight_mode", 8),
        bool(config.open_derive),
        checked_uint(config.submission_window, "submission_window", 32),
        checked_uint(config.commit_window, "commit_window", 32),
        checked_uint(config.reveal_window, "reveal_window", 32),
        checked_uint(config.max_duration, "max_duration", 32),
    )


def arena_config_from_abi(raw: Sequence[Any]) -> ArenaConfig:
    """Inverse of `arena_config_to_abi` for what the contract's `config()` returns."""
    (spec, evalset, ach, pool, cstake, tstake, vstake, mt, mv, k, mvpv, tshare, vslash, aslash, ashare, tol, exp, mode,
     open_, sw, cw, rw, dur) = raw
    return ArenaConfig(
        spec_hash=bytes(spec), eval_set_hash=bytes(evalset), alliance_config_hash=bytes(ach), reward_pool=int(pool),
        creator_stake=int(cstake), trainer_stake=int(tstake), validator_stake=int(vstake), max_trainers=int(mt),
        max_validators=int(mv), validators_per_submission=int(k), max_validations_per_validator=int(mvpv),
        trainer_share_bps=int(tshare), validator_slash_bps=int(vslash), absent_slash_bps=int(aslash),
        alliance_share_bps=int(ashare), validator_tolerance=int(tol), score_exponent=int(exp),
        weight_mode=WeightMode(int(mode)), open_derive=bool(open_), submission_window=int(sw), commit_window=int(cw),
        reveal_window=int(rw), max_duration=int(dur),
    )


_ALLIANCE_TYPES = "(bytes32,bytes32,uint256,uint256,uint16,uint16,uint16,uint16,uint16,uint16,uint16,uint16,uint16,uint64,uint32,uint32,uint32,uint32)"


def alliance_config_hash(config: AllianceConfig) -> bytes:
    """keccak256(abi.encode(config)) with rewardPool and initialModelHash zeroed: the value an Arena
    task's `alliance_config_hash` commits to, so a derived Alliance can only use these parameters."""
    fields = list(config_to_abi(config))
    fields[1] = b"\x00" * 32  # initialModelHash
    fields[2] = 0  # rewardPool
    return bytes(keccak(encode([_ALLIANCE_TYPES], [tuple(fields)])))


def score_commitment(task: str, submission: int, validator: str, score: int, salt: bytes) -> bytes:
    """keccak256(abi.encode(task, submission, validator, score, salt)), as `revealScore` checks it."""
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= ARENA_SCORE_SCALE:
        raise ValidationError(f"score must be an integer in [0, {ARENA_SCORE_SCALE}] (fixed point, 1.0 = {ARENA_SCORE_SCALE}), got {score!r}")
    return bytes(
        keccak(
            encode(
                ["address", "uint256", "address", "uint64", "bytes32"],
                [to_checksum_address(task), checked_uint(submission, "submission"), to_checksum_address(validator), score,
                 checked_digest(salt, "salt")],
            )
        )
    )


def draw_seed(prevrandao: int, task: str, submission: int) -> bytes:
    """seed_s = keccak256(abi.encode(block.prevrandao, task, s)) (for checking a draw off-chain)."""
    return bytes(keccak(encode(["uint256", "address", "uint256"], [prevrandao, to_checksum_address(task), submission])))


class ArenaTaskClient(TaskContractClient):
    """One ArenaTask clone: transactions take a `sender` account, views return records."""

    ARTIFACT = ARTIFACT

    # ------------------------------------------------------------------ transactions
    def register_trainer(self, sender: LocalAccount, approve: bool = True) -> TxReceipt:
        """Stake exactly `trainerStake` (approving it first unless `approve` is False)."""
        if approve:
            self.token.approve(self.address, self.config().trainer_stake, sender)
        return self.client.transact(self.fn.registerTrainer(), sender)

    def register_validator(self, amount: int, sender: LocalAccount, approve: bool = True) -> TxReceipt:
        """Stake `amount` (>= validatorStake) and enter the lottery with weight w(amount)."""
        checked_uint(amount, "validator stake", 96)
        if approve:
            self.token.approve(self.address, amount, sender)
        return self.client.transact(self.fn.registerValidator(amount), sender)

    def submit_model(self, model_hash: bytes, sender: LocalAccount) -> TxReceipt:
        return self.client.transact(self.fn.submitModel(checked_digest(model_hash, "model_hash")), sender)

    def draw_validators(self, sender: LocalAccount, count: int = MAX_TRAINERS) -> TxReceipt:
        """Draw validators for the next `count` undrawn submissions (one fixed gas limit per submission)."""
        checked_uint(count, "count")
        p = self.progress()
        todo = max(1, min(count, p.submissions - p.drawn))
        return self.client.transact(self.fn.drawValidators(count), sender, gas=DRAW_GAS_PER_SUBMISSION * todo + 100_000)

    def commit_score(self, submission: int, commitment: bytes, sender: LocalAccount) -> TxReceipt:
        return self.client.transact(
            self.fn.commitScore(checked_uint(submission, "submission"), checked_digest(commitment, "commitment")), sender
        )

    def commit_score_value(self, submission: int, score: int, salt: bytes, sender: LocalAccount) -> TxReceipt:
        """Commit to `score` with `salt` (keep both: `reveal_score` needs them)."""
        return self.commit_score(submission, self.score_commitment(submission, sender.address, score, salt), sender)

    def reveal_score(self, submission: int, score: int, salt: bytes, sender: LocalAccount) -> TxReceipt:
        fn = self.fn.revealScore(checked_uint(submission, "submission"), checked_uint(score, "score", 64), checked_digest(salt, "salt"))
        return self.client.transact(fn, sender)

    def settle(self, count: int, sender: LocalAccount) -> TxReceipt:
        return self.client.transact(self.fn.settle(checked_uint(count, "count")), sender)

    def finalize(self, sender: LocalAccount) -> TxReceipt:
        return self.client.transact(self.fn.finalize(), sender)

    def close(self, sender: LocalAccount) -> TxReceipt:
        return self.client.transact(self.fn.close(), sender)

    def release_alliance_reserve(self, sender: LocalAccount) -> TxReceipt:
        return self.client.transact(self.fn.releaseAllianceReserve(), sender)

    def withdraw(self, sender: LocalAccount) -> TxReceipt:
        return self.client.transact(self.fn.withdraw(), sender)

    def derive_alliance(self, config: AllianceConfig, sender: LocalAccount) -> AllianceTaskClient:
        """Spawn the AllianceTask funded by the alliance reserve from the winner's model; returns its client.

        `config.reward_pool` and `config.initial_model_hash` are ignored: the Arena task sets them.
        """
        receipt = self.client.transact(self.fn.deriveAlliance(config_to_abi(config)), sender)
        derived = self.contract.events.AllianceDerived().process_receipt(receipt, errors=DISCARD)
        if not derived:
            raise ChainError(f"deriveAlliance succeeded but emitted no AllianceDerived event (tx {receipt['transactionHash'].hex()})")
        address = str(derived[0]["args"]["alliance"])
        return AllianceTaskClient(self.client, self.client.contract_at("AllianceTask", address), self._token)

    def score_commitment(self, submission: int, validator: str, score: int, salt: bytes) -> bytes:
        """The commitment `commit_score` expects for this task (see `score_commitment`)."""
        return score_commitment(self.address, submission, validator, score, salt)

    # ------------------------------------------------------------------ views
    def config(self) -> ArenaConfig:
        return arena_config_from_abi(self.client.call(self.fn.config()))

    def status(self) -> ArenaStatus:
        return ArenaStatus(int(self.client.call(self.fn.status())))

    def created_at(self) -> int:
        return self.progress().created_at

    def progress(self) -> ArenaProgress:
        raw = self.client.call(self.fn.progress())
        st, created, sd, cd, rd, closes, tr, va, su, dr, se, asg, com, rev = raw
        return ArenaProgress(
            status=ArenaStatus(int(st)), created_at=int(created), submission_deadline=int(sd), commit_deadline=int(cd),
            reveal_deadline=int(rd), closes_at=int(closes), trainers=int(tr), validators=int(va), submissions=int(su),
            drawn=int(dr), settled=int(se), assigned_votes=int(asg), committed_votes=int(com), revealed_votes=int(rev),
        )

    def phase(self, now: int | None = None) -> ArenaPhase:
        """The phase the contract would see at chain time `now` (default: the latest block's
        timestamp), with the same early ends: every trainer slot submitted ends the submission
        phase; every drawn vote committed (or revealed) ends the commit (or reveal) phase."""
        p = self.progress()
        if p.status is ArenaStatus.FINISHED:
            return ArenaPhase.FINISHED
        if p.status is ArenaStatus.CLOSED:
            return ArenaPhase.CLOSED
        t = self.client.now() if now is None else now
        submission_over = t > p.submission_deadline or p.submissions >= self.config().max_trainers
        if not submission_over:
            return ArenaPhase.SUBMISSION
        commit_over = t > p.commit_deadline or (p.drawn == p.submissions and p.committed_votes == p.assigned_votes)
        if not commit_over:
            return ArenaPhase.COMMIT
        if t > p.reveal_deadline or p.revealed_votes == p.assigned_votes:
            return ArenaPhase.SETTLEMENT
        return ArenaPhase.REVEAL

    def outcome(self) -> ArenaOutcome:
        raw = self.client.call(self.fn.outcome())
        has, win, whash, pool, reserve, tb, vb, stw, sc, tbl, vbl, owed, alliance = raw
        return ArenaOutcome(
            has_winner=bool(has), winner=int(win), winner_model_hash=bytes(whash), pool=int(pool),
            alliance_reserve=int(reserve), trainer_budget=int(tb), validator_budget=int(vb), sum_trainer_weight=int(stw),
            sum_closeness=int(sc), trainer_budget_left=int(tbl), validator_budget_left=int(vbl), creator_owed=int(owed),
            alliance=None if str(alliance) == ZERO_ADDRESS else str(alliance),
        )

    def submission(self, index: int) -> ArenaSubmission:
        raw = self.client.call(self.fn.submissionInfo(checked_uint(index, "submission")))
        trainer, model, validators, score, com, rev, drawn, scored, settled = raw
        return ArenaSubmission(
            index=index, trainer=str(trainer), model_hash=bytes(model), validators=tuple(str(v) for v in validators),
            score=int(score), committed=int(com), revealed=int(rev), drawn=bool(drawn), scored=bool(scored),
            settled=bool(settled),
        )

    def submissions(self) -> list[ArenaSubmission]:
        return [self.submission(i) for i in range(self.progress().submissions)]

    def account(self, address: str) -> ArenaAccount:
        role, withdrawn, index, deposit, stake, weight, assigned, good, closeness = self.client.call(
            self.fn.accountInfo(to_checksum_address(address))
        )
        return ArenaAccount(
            address=to_checksum_address(address), role=ArenaRole(int(role)), withdrawn=bool(withdrawn), index=int(index),
            deposit=int(deposit), stake=int(stake), weight=int(weight), assigned=int(assigned), good_votes=int(good),
            closeness=int(closeness),
        )

    def submission_of(self, trainer: str) -> int | None:
        """The trainer's submission index, or None if it has not submitted."""
        submitted, index = self.client.call(self.fn.submissionOf(to_checksum_address(trainer)))
        return int(index) if submitted else None

    def assignments_of(self, validator: str) -> list[int]:
        """Submissions the validator was drawn to score, in order."""
        return [int(s) for s in self.client.call(self.fn.assignmentsOf(to_checksum_address(validator)))]

    def vote_of(self, submission: int, validator: str) -> ArenaVote:
        committed, revealed, commitment, score = self.client.call(
            self.fn.voteOf(checked_uint(submission, "submission"), to_checksum_address(validator))
        )
        return ArenaVote(committed=bool(committed), revealed=bool(revealed), commitment=bytes(commitment), score=int(score))

    def validators(self) -> list[str]:
        return [str(a) for a in self.client.call(self.fn.validators())]

    def trainers(self) -> list[str]:
        return [str(a) for a in self.client.call(self.fn.trainers())]

    def creator(self) -> str:
        return str(self.client.call(self.fn.creator()))

    def factory(self) -> str:
        return str(self.client.call(self.fn.factory()))

    def balance(self) -> int:
        """The task's token balance (what it holds in escrow)."""
        return int(self.token.balance_of(self.address))

    def draw_block(self, submission: int) -> int:
        """Block number of the transaction that drew `submission` (its prevrandao seeded the draw)."""
        found = self.events("ValidatorsDrawn", submission=checked_uint(submission, "submission"))
        if not found:
            raise ValidationError(f"submission {submission} of arena task {self.address} is not drawn yet")
        return int(found[0]["blockNumber"])
