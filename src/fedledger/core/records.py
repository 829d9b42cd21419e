"""Plain records of AllianceTask state shared by `chain`, `protocol` and `node`.

Why here: the chain wrappers produce them, the pure-Python reward mirror consumes them and the
node acts on them, and none of those packages may import another. They are frozen dataclasses
of Python ints, bytes and strings: no web3 types leak out of `fedledger.chain`.
Field meanings follow docs/alliance-protocol.md; amounts are in the token's smallest unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from fedledger.core.types import ZERO_DIGEST

DAY_S = 24 * 60 * 60


class TaskStatus(IntEnum):
    """Lifecycle of an AllianceTask (same numbering as the contract's `Status`)."""

    JOINING = 0
    TRAINING = 1
    FINISHED = 2
    CLOSED = 3


class Role(IntEnum):
    """Role of an address in one round (same numbering as the contract's `Role`)."""

    NONE = 0
    PROPOSER = 1
    VOTER = 2
    EJECTED = 3
    """Stake fell below half of `stakeRequired` in an earlier round: out of the draw for good."""


class SlashReason(IntEnum):
    """Why a stake was slashed (the `reason` of the contract's `Slashed` event)."""

    REJECTED_PROPOSER = 1
    MINORITY_VOTER = 2
    ABSENT = 3


@dataclass(frozen=True)
class AllianceConfig:
    """Creation parameters of an AllianceTask; the contract validates every field.

    Defaults suit a demo: 10-minute propose window, 5-minute commit and reveal windows,
    30 % proposers who share 60 % of each round's reward.
    """

    spec_hash: bytes
    reward_pool: int
    stake_required: int
    initial_model_hash: bytes = ZERO_DIGEST
    min_participants: int = 3
    max_participants: int = 100
    rounds: int = 5
    proposer_ratio_bps: int = 3000
    proposer_share_bps: int = 6000
    proposer_slash_bps: int = 5000
    voter_slash_bps: int = 2000
    absent_slash_bps: int = 1000
    finalizer_bonus_bps: int = 10
    sample_cap: int = 0
    propose_window: int = 600
    commit_window: int = 300
    reveal_window: int = 300
    max_lifecycle: int = 30 * DAY_S


@dataclass(frozen=True)
class RoundInfo:
    """State of one round; `proposers` are in proposer-index order (ascending ticket)."""

    round: int
    seed: bytes
    propose_deadline: int
    commit_deadline: int
    reveal_deadline: int
    proposers: tuple[str, ...]
    submitted_bitmap: int
    outcome_bitmap: int
    submitted_count: int
    committed_count: int
    revealed_count: int
    finalized: bool
    voter_count: int
    """Participants that vote this round: everyone not ejected, proposers included."""

    @property
    def proposer_count(self) -> int:
        """Number of proposers `k` drawn for the round."""
        return len(self.proposers)

    def proposer_index(self, address: str) -> int | None:
        """Index of `address` among the proposers, or None if it does not propose."""
        lowered = address.lower()
        for i, proposer in enumerate(self.proposers):
            if proposer.lower() == lowered:
                return i
        return None


@dataclass(frozen=True)
class RoundUpdates:
    """A round's proposers and their submissions (`updatesOf`), in proposer-index order."""

    round: int
    proposers: tuple[str, ...]
    updates: tuple[UpdateInfo, ...]
    """One per proposer; a zero hash where it submitted nothing."""


@dataclass(frozen=True)
class UpdateInfo:
    """A proposer's submission; `update_hash` is all zeros when it did not submit."""

    update_hash: bytes
    num_samples: int

    @property
    def submitted(self) -> bool:
        return self.update_hash != ZERO_DIGEST


@dataclass(frozen=True)
class VoteState:
    """A voter's vote in a round. `commitment` is known until reveal; bitmap and hash after."""

    committed: bool
    revealed: bool
    commitment: bytes = ZERO_DIGEST
    accept_bitmap: int = 0
    aggregate_hash: bytes = ZERO_DIGEST


@dataclass(frozen=True)
class ParticipantInfo:
    """An address's account in a task (non-participants can hold a claimable bonus or refund)."""

    address: str
    joined: bool
    withdrawn: bool
    index: int
    stake: int
    claimable: int
    accepted_proposals: int
    majority_votes: int


@dataclass(frozen=True)
class ParticipationRecord:
    """An address's on-chain record in the factory, summed over the tasks it withdrew from."""

    tasks_joined: int
    tasks_completed: int
    accepted_proposals: int
    majority_votes: int


@dataclass(frozen=True)
class RoundSettlement:
    """What `finalizeRound` decided, read back from its events."""

    round: int
    finalizer: str
    outcome_bitmap: int
    global_model_hash: bytes
    round_reward: int
    finalizer_bonus: int
    returned_to_pool: int
    rewards: dict[str, int] = field(default_factory=dict)
    slashes: dict[str, tuple[int, SlashReason]] = field(default_factory=dict)
    ejected: tuple[str, ...] = ()
    """Accounts this round ejected (stake below half of `stakeRequired`): they sit out the rest."""


# --------------------------------------------------------------------------- ArenaTask
# Field meanings follow docs/arena-protocol.md. Scores are fixed point: ARENA_SCORE_SCALE is 1.0.

ARENA_SCORE_SCALE = 1_000_000


class ArenaStatus(IntEnum):
    """Lifecycle of an ArenaTask (same numbering as the contract's `Status`)."""

    ACTIVE = 0
    FINISHED = 1
    CLOSED = 2


class ArenaRole(IntEnum):
    """Role of an address in an ArenaTask (same numbering as the contract's `Role`)."""

    NONE = 0
    TRAINER = 1
    VALIDATOR = 2


class ArenaSlashReason(IntEnum):
    """Why an ArenaTask stake was slashed (the `reason` of its `Slashed` event)."""

    OUTSIDE_TOLERANCE = 1
    DID_NOT_REVEAL = 2
    NO_SUBMISSION = 3


class ArenaPhase(IntEnum):
    """Where an ArenaTask stands, derived from its status, deadlines and counters (see `ArenaTaskClient.phase`)."""

    SUBMISSION = 0  # trainers and validators register, trainers submit
    COMMIT = 1  # validators are drawn and commit scores
    REVEAL = 2  # validators reveal
    SETTLEMENT = 3  # anyone may settle / finalize
    FINISHED = 4
    CLOSED = 5


class WeightMode(IntEnum):
    """The concave stake-to-lottery-weight function of an ArenaTask."""

    SQRT = 0
    FOURTH_ROOT = 1
    LINEAR = 2


@dataclass(frozen=True)
class ArenaConfig:
    """Creation parameters of an ArenaTask; the factory validates every field.

    Defaults suit a demo: 5 validators per submission, 70 % of the pool to trainers paid by
    score squared, validators slashed 20 % beyond a 0.05 tolerance, 10 % of the pool reserved
    for a derived Alliance task.
    """

    spec_hash: bytes
    eval_set_hash: bytes
    reward_pool: int
    trainer_stake: int
    validator_stake: int
    creator_stake: int = 0
    alliance_config_hash: bytes = ZERO_DIGEST
    max_trainers: int = 64
    max_validators: int = 256
    validators_per_submission: int = 5
    max_validations_per_validator: int = 16
    trainer_share_bps: int = 7000
    validator_slash_bps: int = 2000
    absent_slash_bps: int = 1000
    alliance_share_bps: int = 1000
    validator_tolerance: int = 50_000
    score_exponent: int = 2
    weight_mode: WeightMode = WeightMode.SQRT
    open_derive: bool = False
    submission_window: int = 3600
    commit_window: int = 600
    reveal_window: int = 600
    max_duration: int = 7 * DAY_S


@dataclass(frozen=True)
class ArenaProgress:
    """Deadlines (unix seconds) and counters of an ArenaTask."""

    status: ArenaStatus
    created_at: int
    submission_deadline: int
    commit_deadline: int
    reveal_deadline: int
    closes_at: int
    trainers: int
    validators: int
    submissions: int
    drawn: int
    settled: int
    assigned_votes: int
    committed_votes: int
    revealed_votes: int


@dataclass(frozen=True)
class ArenaOutcome:
    """Budgets fixed at finalization, what is unpaid, the winner and the derived Alliance task."""

    has_winner: bool
    winner: int
    winner_model_hash: bytes
    pool: int
    alliance_reserve: int
    trainer_budget: int
    validator_budget: int
    sum_trainer_weight: int
    sum_closeness: int
    trainer_budget_left: int
    validator_budget_left: int
    creator_owed: int
    alliance: str | None


@dataclass(frozen=True)
class ArenaSubmission:
    """One submission: its trainer, model, drawn validators (draw order) and settled score."""

    index: int
    trainer: str
    model_hash: bytes
    validators: tuple[str, ...]
    score: int
    committed: int
    revealed: int
    drawn: bool
    scored: bool
    settled: bool


@dataclass(frozen=True)
class ArenaAccount:
    """An address's account in an ArenaTask; `weight` is its current lottery weight."""

    address: str
    role: ArenaRole
    withdrawn: bool
    index: int
    deposit: int
    stake: int
    weight: int
    assigned: int
    good_votes: int
    closeness: int


@dataclass(frozen=True)
class ArenaVote:
    """A validator's score for one submission (commitment before reveal, score after)."""

    committed: bool
    revealed: bool
    commitment: bytes = ZERO_DIGEST
    score: int = 0
