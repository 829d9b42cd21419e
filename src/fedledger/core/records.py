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
