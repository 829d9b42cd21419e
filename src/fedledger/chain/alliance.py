"""`AllianceTaskClient`: typed access to one AllianceTask clone.

Why a wrapper: the node, the simulator and the tests drive a task through these methods and
get `fedledger.core.records` values back, so nothing above `chain/` touches web3. The vote
commitment is computed here exactly as the contract recomputes it at reveal, so a voter can
commit without a chain round-trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_abi import encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from web3.logs import DISCARD
from web3.types import TxReceipt

from fedledger.chain.abi_values import checked_digest, checked_uint
from fedledger.chain.client import ChainClient
from fedledger.chain.task_client import TaskContractClient
from fedledger.core.errors import ValidationError
from fedledger.core.records import (
    AllianceConfig,
    ParticipantInfo,
    Role,
    RoundInfo,
    RoundSettlement,
    RoundUpdates,
    SlashReason,
    TaskStatus,
    UpdateInfo,
    VoteState,
)
from fedledger.core.types import Digest32, as_digest

ARTIFACT = "AllianceTask"
#: Most proposers a round can have (the accept bitmap is a uint128 on-chain).
MAX_PROPOSERS = 128




def config_to_abi(config: AllianceConfig) -> tuple[Any, ...]:
    """The `AllianceConfig` tuple in the contract's field order."""
    return (
        checked_digest(config.spec_hash, "spec_hash"),
        checked_digest(config.initial_model_hash, "initial_model_hash"),
        checked_uint(config.reward_pool, "reward_pool"),
        checked_uint(config.stake_required, "stake_required"),
        checked_uint(config.min_participants, "min_participants", 16),
        checked_uint(config.max_participants, "max_participants", 16),
        checked_uint(config.rounds, "rounds", 16),
        checked_uint(config.proposer_ratio_bps, "proposer_ratio_bps", 16),
        checked_uint(config.proposer_share_bps, "proposer_share_bps", 16),
        checked_uint(config.proposer_slash_bps, "proposer_slash_bps", 16),
        checked_uint(config.voter_slash_bps, "voter_slash_bps", 16),
        checked_uint(config.absent_slash_bps, "absent_slash_bps", 16),
        checked_uint(config.finalizer_bonus_bps, "finalizer_bonus_bps", 16),
        checked_uint(config.sample_cap, "sample_cap", 64),
        checked_uint(config.propose_window, "propose_window", 32),
        checked_uint(config.commit_window, "commit_window", 32),
        checked_uint(config.reveal_window, "reveal_window", 32),
        checked_uint(config.max_lifecycle, "max_lifecycle", 32),
    )


def config_from_abi(raw: Sequence[Any]) -> AllianceConfig:
    """Inverse of `config_to_abi` for what the contract's `config()` returns."""
    (spec, initial, pool, stake, mn, mx, rounds, ratio, share, pslash, vslash, aslash, bonus, cap, pw, cw, rw, life) = raw
    return AllianceConfig(
        spec_hash=bytes(spec),
        initial_model_hash=bytes(initial),
        reward_pool=int(pool),
        stake_required=int(stake),
        min_participants=int(mn),
        max_participants=int(mx),
        rounds=int(rounds),
        proposer_ratio_bps=int(ratio),
        proposer_share_bps=int(share),
        proposer_slash_bps=int(pslash),
        voter_slash_bps=int(vslash),
        absent_slash_bps=int(aslash),
        finalizer_bonus_bps=int(bonus),
        sample_cap=int(cap),
        propose_window=int(pw),
        commit_window=int(cw),
        reveal_window=int(rw),
        max_lifecycle=int(life),
    )


def vote_commitment(round_: int, voter: str, accept_bitmap: int, aggregate_hash: bytes, salt: bytes) -> bytes:
    """keccak256(abi.encode(round, voter, acceptBitmap, aggregateHash, salt)), as the contract checks it."""
    return bytes(
        keccak(
            encode(
                ["uint256", "address", "uint256", "bytes32", "bytes32"],
                [
                    checked_uint(round_, "round"),
                    to_checksum_address(voter),
                    checked_uint(accept_bitmap, "accept_bitmap"),
                    checked_digest(aggregate_hash, "aggregate_hash"),
                    checked_digest(salt, "salt"),
                ],
            )
        )
    )


class AllianceTaskClient(TaskContractClient):
    """One AllianceTask clone: transactions take a `sender` account, views return records."""

    ARTIFACT = ARTIFACT

    # ------------------------------------------------------------------ transactions
    def join(self, amount: int, sender: LocalAccount, approve: bool = True) -> TxReceipt:
        """Stake `amount` (approving it to the task first unless `approve` is False)."""
        checked_uint(amount, "stake amount")
        if approve:
            self.token.approve(self.address, amount, sender)
        return self.client.transact(self.fn.join(amount), sender)

    def start_round(self, sender: LocalAccount) -> TxReceipt:
        return self.client.transact(self.fn.startRound(), sender)

    def submit_update(
        self, round_: int, proposer_index: int, update_hash: bytes, num_samples: int, sender: LocalAccount
    ) -> TxReceipt:
        fn = self.fn.submitUpdate(
            checked_uint(round_, "round"),
            checked_uint(proposer_index, "proposer_index"),
            checked_digest(update_hash, "update_hash"),
            checked_uint(num_samples, "num_samples", 64),
        )
        return self.client.transact(fn, sender)

    def commit_vote(self, round_: int, commitment: bytes, sender: LocalAccount) -> TxReceipt:
        return self.client.transact(self.fn.commitVote(checked_uint(round_, "round"), checked_digest(commitment, "commitment")), sender)

    def reveal_vote(
        self, round_: int, accept_bitmap: int, aggregate_hash: bytes, salt: bytes, sender: LocalAccount
    ) -> TxReceipt:
        fn = self.fn.revealVote(
            checked_uint(round_, "round"),
            checked_uint(accept_bitmap, "accept_bitmap"),
            checked_digest(aggregate_hash, "aggregate_hash"),
            checked_digest(salt, "salt"),
        )
        return self.client.transact(fn, sender)

    def finalize_round(self, round_: int, sender: LocalAccount) -> TxReceipt:
        return self.client.transact(self.fn.finalizeRound(checked_uint(round_, "round")), sender)

    def close(self, sender: LocalAccount) -> TxReceipt:
        return self.client.transact(self.fn.close(), sender)

    def withdraw(self, sender: LocalAccount) -> TxReceipt:
        return self.client.transact(self.fn.withdraw(), sender)

    @staticmethod
    def vote_commitment(round_: int, voter: str, accept_bitmap: int, aggregate_hash: bytes, salt: bytes) -> bytes:
        """The commitment `commit_vote` expects (see module-level `vote_commitment`)."""
        return vote_commitment(round_, voter, accept_bitmap, aggregate_hash, salt)

    # ------------------------------------------------------------------ views
    def config(self) -> AllianceConfig:
        return config_from_abi(self.client.call(self.fn.config()))

    def status(self) -> TaskStatus:
        return TaskStatus(int(self.client.call(self.fn.status())))

    def round_count(self) -> int:
        """Rounds started so far."""
        return int(self.client.call(self.fn.roundCount()))

    def current_round(self) -> int | None:
        """The latest started round, or None before round 0 starts."""
        count = self.round_count()
        return count - 1 if count else None

    def round_info(self, round_: int) -> RoundInfo:
        raw = self.client.call(self.fn.roundInfo(checked_uint(round_, "round")))
        seed, pd, cd, rd, proposers, submitted, outcome, n_sub, n_com, n_rev, finalized, n_voters = raw
        return RoundInfo(
            round=round_,
            seed=bytes(seed),
            propose_deadline=int(pd),
            commit_deadline=int(cd),
            reveal_deadline=int(rd),
            proposers=tuple(str(p) for p in proposers),
            submitted_bitmap=int(submitted),
            outcome_bitmap=int(outcome),
            submitted_count=int(n_sub),
            committed_count=int(n_com),
            revealed_count=int(n_rev),
            finalized=bool(finalized),
            voter_count=int(n_voters),
        )

    def round_updates(self, round_: int) -> RoundUpdates:
        """The proposers of round `round_` and their submissions, in one call."""
        proposers, hashes, samples = self.client.call(self.fn.updatesOf(checked_uint(round_, "round")))
        return RoundUpdates(
            round=round_,
            proposers=tuple(str(p) for p in proposers),
            updates=tuple(UpdateInfo(update_hash=bytes(h), num_samples=int(n)) for h, n in zip(hashes, samples)),
        )

    def role_of(self, round_: int, address: str) -> Role:
        return Role(int(self.client.call(self.fn.roleOf(checked_uint(round_, "round"), address))))

    def ticket_of(self, round_: int, address: str) -> int:
        return int(self.client.call(self.fn.ticketOf(checked_uint(round_, "round"), address)))

    def missed_last_round(self, address: str) -> bool:
        """Whether `address` missed its role in the latest finalized round (drawn last next round)."""
        return bool(self.client.call(self.fn.missedLastRound(address)))

    def is_ejected(self, address: str) -> bool:
        """Whether `address` was ejected (stake below half of `stakeRequired`): it sits out every later round."""
        return bool(self.client.call(self.fn.isEjected(address)))

    def update_of(self, round_: int, proposer_index: int) -> UpdateInfo:
        h, n = self.client.call(self.fn.updateOf(checked_uint(round_, "round"), checked_uint(proposer_index, "proposer_index")))
        return UpdateInfo(update_hash=bytes(h), num_samples=int(n))

    def vote_of(self, round_: int, voter: str) -> VoteState:
        committed, revealed, commitment, bitmap, agg = self.client.call(self.fn.voteOf(checked_uint(round_, "round"), voter))
        return VoteState(
            committed=bool(committed),
            revealed=bool(revealed),
            commitment=bytes(commitment),
            accept_bitmap=int(bitmap),
            aggregate_hash=bytes(agg),
        )

    def participant_info(self, address: str) -> ParticipantInfo:
        joined, withdrawn, index, stake, claimable, accepted, majority = self.client.call(self.fn.participantInfo(address))
        return ParticipantInfo(
            address=to_checksum_address(address),
            joined=bool(joined),
            withdrawn=bool(withdrawn),
            index=int(index),
            stake=int(stake),
            claimable=int(claimable),
            accepted_proposals=int(accepted),
            majority_votes=int(majority),
        )

    def participants(self) -> list[str]:
        return [str(a) for a in self.client.call(self.fn.participants())]

    def participant_count(self) -> int:
        return int(self.client.call(self.fn.participantCount()))

    def global_model_hash(self) -> Digest32:
        return as_digest(bytes(self.client.call(self.fn.globalModelHash())))

    def pool(self) -> int:
        return int(self.client.call(self.fn.pool()))

    def creator(self) -> str:
        return str(self.client.call(self.fn.creator()))

    def created_at(self) -> int:
        return int(self.client.call(self.fn.createdAt()))

    def settlement(self, receipt: TxReceipt) -> RoundSettlement:
        """Decode what a `finalizeRound` receipt decided (rewards, slashes, outcome)."""
        finalized = self.contract.events.RoundFinalized().process_receipt(receipt, errors=DISCARD)
        if not finalized:
            raise ValidationError("receipt has no RoundFinalized event: is it a finalizeRound transaction of this task?")
        args = finalized[0]["args"]
        rewards: dict[str, int] = {}
        for ev in self.contract.events.Rewarded().process_receipt(receipt, errors=DISCARD):
            who = str(ev["args"]["account"])
            rewards[who] = rewards.get(who, 0) + int(ev["args"]["amount"])
        slashes = {
            str(ev["args"]["account"]): (int(ev["args"]["amount"]), SlashReason(int(ev["args"]["reason"])))
            for ev in self.contract.events.Slashed().process_receipt(receipt, errors=DISCARD)
        }
        return RoundSettlement(
            round=int(args["round"]),
            finalizer=str(args["finalizer"]),
            outcome_bitmap=int(args["outcomeBitmap"]),
            global_model_hash=bytes(args["globalModelHash"]),
            round_reward=int(args["roundReward"]),
            finalizer_bonus=int(args["finalizerBonus"]),
            returned_to_pool=int(args["returnedToPool"]),
            rewards=rewards,
            slashes=slashes,
            ejected=tuple(
                str(ev["args"]["account"]) for ev in self.contract.events.Ejected().process_receipt(receipt, errors=DISCARD)
            ),
        )
