"""Pure-Python mirror of `AllianceTask.finalizeRound` and of the vote commitment.

`settle_round` performs exactly the integer arithmetic of docs/alliance-protocol.md
("Finalization"), in the same order, so a test can hold it equal to the contract on random
rounds, and a node can predict its reward before sending a transaction. Nothing here does
I/O or touches a chain.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from fedledger.core.errors import ValidationError
from fedledger.core.types import ZERO_DIGEST
from fedledger.protocol.encoding import abi_encode, as_bytes32, as_uint, checksum, keccak256
from fedledger.protocol.roles import BPS, MAX_PARTICIPANTS


SLASH_REJECTED_PROPOSER = 1
SLASH_MINORITY_VOTER = 2
SLASH_ABSENT = 3
"""Slash reason codes, as in the contract's `Slashed(round, account, amount, reason)` event."""


def vote_commitment(round_index: int, voter: str, accept_bitmap: int, aggregate_hash: bytes, salt: bytes) -> bytes:
    """`keccak256(abi.encode(r, voter, acceptBitmap, aggregateHash, salt))`, the value a voter commits."""
    return keccak256(
        abi_encode(
            ["uint256", "address", "uint256", "bytes32", "bytes32"],
            [
                as_uint(round_index, "round index"),
                checksum(voter),
                as_uint(accept_bitmap, "accept bitmap"),
                as_bytes32(aggregate_hash, "aggregate hash"),
                as_bytes32(salt, "salt"),
            ],
        )
    )


def _bps(value: int, what: str, maximum: int = BPS) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise ValidationError(f"{what} must be an integer in 0..{maximum} basis points, got {value!r}")
    return value


@dataclass(frozen=True)
class SettlementRules:
    """The configuration fields that finalization reads (validated like the contract does)."""

    rounds: int
    proposer_share_bps: int
    proposer_slash_bps: int
    voter_slash_bps: int
    absent_slash_bps: int
    finalizer_bonus_bps: int
    stake_required: int
    """A participant whose stake falls below half of it is ejected (see `settle_round`)."""
    sample_cap: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.rounds, bool) or not isinstance(self.rounds, int) or not 1 <= self.rounds < 2**16:
            raise ValidationError(f"rounds must be 1..65535, got {self.rounds!r}")
        _bps(self.proposer_share_bps, "proposer_share_bps")
        _bps(self.proposer_slash_bps, "proposer_slash_bps")
        _bps(self.voter_slash_bps, "voter_slash_bps")
        _bps(self.absent_slash_bps, "absent_slash_bps")
        _bps(self.finalizer_bonus_bps, "finalizer_bonus_bps", maximum=100)
        if as_uint(self.stake_required, "stake_required", bits=96) == 0:
            raise ValidationError("stake_required must be > 0")
        as_uint(self.sample_cap, "sample_cap", bits=64)

    @classmethod
    def from_config(cls, config: object) -> SettlementRules:
        """Build from any config object with the snake_case field names (e.g. `core.records.AllianceConfig`)."""
        names = (
            "rounds",
            "proposer_share_bps",
            "proposer_slash_bps",
            "voter_slash_bps",
            "absent_slash_bps",
            "finalizer_bonus_bps",
            "stake_required",
            "sample_cap",
        )
        missing = [n for n in names if not hasattr(config, n)]
        if missing:
            raise ValidationError(f"config {type(config).__name__} lacks fields {missing}")
        return cls(**{n: getattr(config, n) for n in names})

    def effective_samples(self, num_samples: int) -> int:
        """`min(numSamples, sampleCap)`, or `numSamples` when the cap is 0."""
        return num_samples if self.sample_cap == 0 else min(num_samples, self.sample_cap)


@dataclass(frozen=True)
class ProposerEntry:
    """A proposer of the round as stored on-chain, in proposer-index order."""

    address: str
    submitted: bool
    num_samples: int = 0
    update_hash: bytes = ZERO_DIGEST


@dataclass(frozen=True)
class VoterEntry:
    """A voter of the round (every participant not ejected, proposers too); bitmap and hash are
    only read when `revealed`."""

    address: str
    revealed: bool
    accept_bitmap: int = 0
    aggregate_hash: bytes = ZERO_DIGEST


def _frozen(d: dict[str, int]) -> Mapping[str, int]:
    return MappingProxyType(dict(d))


@dataclass(frozen=True)
class RoundSettlement:
    """Everything `finalizeRound` changes, as the contract would compute it."""

    round_index: int
    round_reward: int
    bonus: int
    proposer_budget: int
    voter_budget: int
    accepted: tuple[int, ...]
    """Proposer indices accepted by the stake-weighted vote, ascending."""
    rejected: tuple[int, ...]
    outcome_bitmap: int
    winning_hash: bytes | None
    """Majority aggregate hash, or None when no voter matched the outcome."""
    majority_voters: tuple[str, ...]
    new_global_hash: bytes
    rewards: Mapping[str, int] = field(repr=False)
    """Credited to `claimable`, finalizer bonus included; only non-zero entries."""
    slashes: Mapping[str, int] = field(repr=False)
    """Taken from stakes into the pool; only non-zero entries."""
    slash_reasons: Mapping[str, int] = field(repr=False)
    """Why each slashed address lost stake: 1 rejected proposer, 2 minority voter, 3 absent."""
    new_stakes: Mapping[str, int] = field(repr=False)
    new_pool: int
    """Pool after the round (0 when the task finished and the rest was refunded)."""
    unpaid: int
    """Part of the distributable reward nobody received (no recipients, rounding dust)."""
    refund: int
    """Pool refunded to the creator's claimable balance because this was the last round."""
    finished: bool
    accepted_addresses: tuple[str, ...] = ()
    rejected_addresses: tuple[str, ...] = ()
    absent_addresses: tuple[str, ...] = ()
    """Proposers that submitted nothing and voters that revealed nothing, in participant order:
    the next round draws them after everyone else (whether or not `absentSlashBps` took stake)."""
    ejected_addresses: tuple[str, ...] = ()
    """Ejected by this round, in participant order: their stake fell below half of
    `stakeRequired`, so they sit out every later round."""

    @property
    def total_rewards(self) -> int:
        """Sum of all credited rewards (bonus included, refund excluded)."""
        return sum(self.rewards.values())


def _check_inputs(
    rules: SettlementRules,
    round_index: int,
    pool: int,
    stakes: Mapping[str, int],
    proposers: Sequence[ProposerEntry],
    voters: Sequence[VoterEntry],
    ejected: Collection[str],
) -> tuple[dict[str, int], dict[str, int], set[str]]:
    if isinstance(round_index, bool) or not isinstance(round_index, int) or not 0 <= round_index < rules.rounds:
        raise ValidationError(f"round index must be in 0..{rules.rounds - 1}, got {round_index!r}")
    as_uint(pool, "pool")
    norm_stakes: dict[str, int] = {}
    for addr, stake in stakes.items():
        key = checksum(addr)
        if key in norm_stakes:
            raise ValidationError(f"stakes list {key} twice; each participant appears once")
        norm_stakes[key] = as_uint(stake, f"stake of {key}")
    if not 2 <= len(norm_stakes) <= MAX_PARTICIPANTS:
        raise ValidationError(f"a round needs 2..{MAX_PARTICIPANTS} participants, got {len(norm_stakes)}")
    if not proposers or not voters:
        raise ValidationError("a round has at least one proposer and one voter")
    if len(proposers) > 255:
        raise ValidationError("at most 255 proposers fit an accept bitmap beside one voter")
    order = {a: i for i, a in enumerate(norm_stakes)}
    out = {checksum(a) for a in ejected}
    voting = [checksum(v.address) for v in voters]
    if sorted(voting + sorted(out)) != sorted(norm_stakes):
        raise ValidationError(
            "voters and ejected must partition the participants exactly once each (every participant not ejected votes)"
        )
    proposing = [checksum(p.address) for p in proposers]
    if len(set(proposing)) != len(proposing) or not set(proposing) <= set(voting):
        raise ValidationError("proposers must be distinct voters (a proposer votes too)")
    for p in proposers:
        if p.submitted:
            as_uint(p.num_samples, f"numSamples of {p.address}", bits=64)
            if p.num_samples == 0:
                raise ValidationError(f"submitted proposer {p.address} has numSamples 0; the contract rejects that")
    for v in voters:
        if v.revealed:
            as_uint(v.accept_bitmap, f"accept bitmap of {v.address}")
            as_bytes32(v.aggregate_hash, f"aggregate hash of {v.address}")
    return norm_stakes, order, out


def settle_round(
    rules: SettlementRules,
    *,
    round_index: int,
    pool: int,
    stakes: Mapping[str, int],
    proposers: Sequence[ProposerEntry],
    voters: Sequence[VoterEntry],
    global_hash: bytes,
    caller: str,
    ejected: Collection[str] = (),
) -> RoundSettlement:
    """Compute `finalizeRound(r)` exactly as the spec (and the contract) does.

    `stakes` holds every participant's stake *before* this round, in participant order
    (insertion order of the mapping): that order breaks ties between aggregate hashes.
    `proposers` are in proposer-index order. `voters` are every participant not ejected,
    proposers included: a proposer's bit on its own update is left out of that update's tally,
    but its vote is matched against the outcome like any other. `ejected` are the participants
    ejected in earlier rounds: they neither propose nor vote, untouched by the round.
    """
    pre, order, out = _check_inputs(rules, round_index, pool, stakes, proposers, voters, ejected)
    as_bytes32(global_hash, "global hash")
    caller = checksum(caller)
    props = [(checksum(p.address), p) for p in proposers]
    # Voters are processed in participant order, which decides ties between hashes.
    vots = sorted(((checksum(v.address), v) for v in voters), key=lambda t: order[t[0]])

    # 1. The round's slice of the pool.
    rounds_left = rules.rounds - round_index
    round_reward = pool // rounds_left
    new_pool = pool - round_reward

    # 2. Finalizer bonus and the two budgets.
    bonus = round_reward * rules.finalizer_bonus_bps // BPS
    distributable = round_reward - bonus
    proposer_budget = distributable * rules.proposer_share_bps // BPS
    voter_budget = distributable - proposer_budget

    # 3. Per-proposer stake-weighted verdicts, weights = pre-round stakes; nobody judges its own.
    own_index = {addr: i for i, (addr, _) in enumerate(props)}
    submitted_mask = 0
    for i, (_, p) in enumerate(props):
        if p.submitted:
            submitted_mask |= 1 << i
    accepted: list[int] = []
    rejected: list[int] = []
    for i, (_, p) in enumerate(props):
        if not p.submitted:
            continue
        accept_stake = reject_stake = 0
        for addr, v in vots:
            if not v.revealed or own_index.get(addr) == i:
                continue
            if (v.accept_bitmap >> i) & 1:
                accept_stake += pre[addr]
            else:
                reject_stake += pre[addr]
        if accept_stake > reject_stake:
            accepted.append(i)
        elif reject_stake > accept_stake:
            rejected.append(i)

    # 4. Matching voters, winning aggregate hash, majority voters.
    outcome = 0
    for i in accepted:
        outcome |= 1 << i
    matching = [(a, v) for a, v in vots if v.revealed and (v.accept_bitmap & submitted_mask) == outcome]
    hash_stake: dict[bytes, int] = {}
    for addr, v in matching:  # dict keeps first-seen order
        hash_stake[bytes(v.aggregate_hash)] = hash_stake.get(bytes(v.aggregate_hash), 0) + pre[addr]
    winner: bytes | None = None
    best = -1
    for h, s in hash_stake.items():
        if s > best:  # strict: the first-seen hash wins a tie
            winner, best = h, s
    majority = [a for a, v in matching if bytes(v.aggregate_hash) == winner]
    new_global = winner if majority and winner is not None else bytes(global_hash)

    rewards: dict[str, int] = {}

    def credit(addr: str, amount: int) -> None:
        if amount:
            rewards[addr] = rewards.get(addr, 0) + amount

    credit(caller, bonus)

    # 5. Proposer and voter rewards; unpaid remainder returns to the pool.
    paid = 0
    eff_sum = sum(rules.effective_samples(props[i][1].num_samples) for i in accepted)
    if eff_sum > 0:
        for i in accepted:
            amount = proposer_budget * rules.effective_samples(props[i][1].num_samples) // eff_sum
            credit(props[i][0], amount)
            paid += amount
    majority_stake = sum(pre[a] for a in majority)
    if majority_stake > 0:
        for addr in majority:
            amount = voter_budget * pre[addr] // majority_stake
            credit(addr, amount)
            paid += amount
    unpaid = distributable - paid
    new_pool += unpaid

    # 6. Slashes on the pre-round stake, into the pool.
    slashes: dict[str, int] = {}
    reasons: dict[str, int] = {}

    # A round slashes a participant once: for its update if that was missing or rejected,
    # otherwise for its vote (proposers are settled first, so their slash stands).
    judged: set[str] = set()

    def slash(addr: str, bps: int, reason: int) -> None:
        if addr in judged:  # a proposer slashed for its update (even by 0 bps) keeps that verdict
            return
        judged.add(addr)
        amount = pre[addr] * bps // BPS
        if amount:
            slashes[addr] = amount
            reasons[addr] = reason

    rejected_set = set(rejected)
    absent: set[str] = set()
    for i, (addr, p) in enumerate(props):
        if not p.submitted:
            absent.add(addr)
            slash(addr, rules.absent_slash_bps, SLASH_ABSENT)
        elif i in rejected_set:
            slash(addr, rules.proposer_slash_bps, SLASH_REJECTED_PROPOSER)
    majority_set = set(majority)
    for addr, v in vots:
        if not v.revealed:
            absent.add(addr)
            slash(addr, rules.absent_slash_bps, SLASH_ABSENT)
        elif majority and addr not in majority_set:
            slash(addr, rules.voter_slash_bps, SLASH_MINORITY_VOTER)
    new_stakes = {a: s - slashes.get(a, 0) for a, s in pre.items()}
    new_pool += sum(slashes.values())

    # 7. Ejection: stake below half of stakeRequired leaves the draw, unless fewer than two
    # participants would remain in it (a round needs a proposer and a voter).
    newly = [a for a in order if a not in out and new_stakes[a] * 2 < rules.stake_required]
    if len(order) - len(out) - len(newly) < 2:
        newly = []

    # 9. Last round: the remaining pool goes back to the creator.
    finished = round_index == rules.rounds - 1
    refund = new_pool if finished else 0
    if finished:
        new_pool = 0

    return RoundSettlement(
        round_index=round_index,
        round_reward=round_reward,
        bonus=bonus,
        proposer_budget=proposer_budget,
        voter_budget=voter_budget,
        accepted=tuple(accepted),
        rejected=tuple(rejected),
        outcome_bitmap=outcome,
        winning_hash=winner if majority else None,
        majority_voters=tuple(majority),
        new_global_hash=new_global,
        rewards=_frozen(rewards),
        slashes=_frozen(slashes),
        slash_reasons=_frozen(reasons),
        unpaid=unpaid,
        new_stakes=_frozen(new_stakes),
        new_pool=new_pool,
        refund=refund,
        finished=finished,
        accepted_addresses=tuple(props[i][0] for i in accepted),
        rejected_addresses=tuple(props[i][0] for i in rejected),
        absent_addresses=tuple(a for a in order if a in absent),
        ejected_addresses=tuple(newly),
    )
