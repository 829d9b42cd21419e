"""`ChainView`: read-only views of a factory's tasks for the dashboard, briefly cached.

Why its own module: the REST endpoints and the event stream share one set of chain readers,
one lock (a single `ChainClient` is not meant to be driven from several threads at once) and
one short-lived cache (a page refresh should not cost a hundred `eth_call`s). It only ever
calls view functions and `eth_getLogs`: the dashboard never sends a transaction.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

from fedledger.api.models import (
    AllianceTaskDetail,
    ArenaSubmissionView,
    ArenaTaskDetail,
    BalanceSeries,
    ChainHealth,
    ParticipantView,
    ProposerView,
    RoundView,
    SlashView,
    TaskSummary,
    Verdict,
    VoteView,
)
from fedledger.chain.alliance import AllianceTaskClient
from fedledger.chain.arena import ArenaTaskClient
from fedledger.chain.client import ChainClient
from fedledger.chain.factory import FactoryClient
from fedledger.core.errors import ValidationError
from fedledger.core.records import SlashReason
from fedledger.core.types import ZERO_DIGEST

T = TypeVar("T")
ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"
_ADDRESS_RE = re.compile(ADDRESS_PATTERN)


class UnknownTaskError(ValidationError):
    """The address is well-formed but no task of this factory lives there (HTTP 404)."""


class NotAllianceTaskError(ValidationError):
    """Rounds were asked of an Arena task, which has none (HTTP 404)."""


def hex_or_none(digest: bytes) -> str | None:
    """0x-hex of a digest, or None for the all-zero "not set" digest."""
    return None if bytes(digest) == ZERO_DIGEST else "0x" + bytes(digest).hex()


def _plain(value: Any) -> Any:
    """A JSON-friendly scalar: bytes as 0x-hex, enums by value."""
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, Enum):
        return value.value
    return value


def _plain_config(config: Any) -> dict[str, Any]:
    return {f.name: _plain(getattr(config, f.name)) for f in dataclasses.fields(config)}


class ChainView:
    """Read-side access to one TaskFactory and its Alliance and Arena tasks."""

    def __init__(self, client: ChainClient, factory_address: str, cache_ttl_s: float = 1.0) -> None:
        if not isinstance(factory_address, str) or not _ADDRESS_RE.match(factory_address):
            raise ValidationError(f"factory address must be 0x followed by 40 hex digits, got {factory_address!r}")
        self.client = client
        self.lock = threading.RLock()
        self.cache_ttl_s = cache_ttl_s
        self._cache: dict[tuple[Any, ...], tuple[float, int, Any]] = {}
        with self.lock:
            self.factory = FactoryClient.at(client, factory_address)

    # ------------------------------------------------------------------ plumbing
    def cached(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """`compute()` under the lock, reused for `cache_ttl_s` seconds and while no new block was mined."""
        with self.lock:
            block = self.client.block_number()
            hit = self._cache.get(key)
            now = time.monotonic()
            if hit is not None and hit[1] == block and now - hit[0] < self.cache_ttl_s:
                return hit[2]  # type: ignore[no-any-return]
            value = compute()
            if len(self._cache) > 512:
                self._cache.clear()
            self._cache[key] = (now, block, value)
            return value

    def health(self) -> ChainHealth:
        with self.lock:
            return ChainHealth(
                endpoint=self.client.endpoint, chain_id=self.client.chain_id,
                block_number=self.client.block_number(), factory=self.factory.address,
            )

    def block_number(self) -> int:
        with self.lock:
            return self.client.block_number()

    def task_kinds(self) -> dict[str, str]:
        """Lower-cased address -> "alliance" | "arena", for every task of the factory."""
        def compute() -> dict[str, str]:
            return {a.lower(): ("arena" if self.factory.is_arena_task(a) else "alliance") for a in self.factory.tasks()}

        return self.cached(("kinds",), compute)

    def resolve(self, address: str) -> tuple[str, str]:
        """(checksum address, kind) of a task of this factory; `UnknownTaskError` otherwise."""
        if not _ADDRESS_RE.match(address):
            raise ValidationError(f"not an address: {address!r} (expected 0x followed by 40 hex digits)")
        kinds = self.task_kinds()
        kind = kinds.get(address.lower())
        if kind is None:
            raise UnknownTaskError(f"no task at {address} in factory {self.factory.address}")
        with self.lock:
            return next(a for a in self.factory.tasks() if a.lower() == address.lower()), kind

    def alliance(self, address: str) -> AllianceTaskClient:
        return AllianceTaskClient(self.client, self.client.contract_at("AllianceTask", address), self.factory.token)

    def arena(self, address: str) -> ArenaTaskClient:
        return ArenaTaskClient(self.client, self.client.contract_at("ArenaTask", address), self.factory.token)

    # ------------------------------------------------------------------ tasks
    def tasks(self) -> list[TaskSummary]:
        return self.cached(("tasks",), lambda: [self._summary(a, k) for a, k in self._ordered_tasks()])

    def _ordered_tasks(self) -> list[tuple[str, str]]:
        kinds = self.task_kinds()
        return [(a, kinds[a.lower()]) for a in self.factory.tasks()]

    def _summary(self, address: str, kind: str) -> TaskSummary:
        if kind == "arena":
            arena = self.arena(address)
            cfg, progress = arena.config(), arena.progress()
            return TaskSummary(
                address=address, kind="arena", status=progress.status.name.lower(), creator=arena.creator(),
                reward_pool=cfg.reward_pool, held=arena.balance(), participants=progress.trainers + progress.validators,
            )
        task = self.alliance(address)
        cfg = task.config()
        return TaskSummary(
            address=address, kind="alliance", status=task.status().name.lower(), creator=task.creator(),
            reward_pool=cfg.reward_pool, held=task.pool(), participants=task.participant_count(),
            rounds=cfg.rounds, rounds_started=task.round_count(),
        )

    def task_detail(self, address: str) -> AllianceTaskDetail | ArenaTaskDetail:
        checksum, kind = self.resolve(address)
        if kind == "arena":
            return self.cached(("arena", checksum), lambda: self._arena_detail(checksum))
        return self.cached(("alliance", checksum), lambda: self._alliance_detail(checksum))

    def rounds(self, address: str) -> list[RoundView]:
        checksum, kind = self.resolve(address)
        if kind != "alliance":
            raise NotAllianceTaskError(f"{checksum} is an arena task: it has submissions, not rounds (see /api/tasks/{checksum})")
        return self.cached(("rounds", checksum), lambda: self._rounds(checksum))

    # ------------------------------------------------------------------ alliance
    def _alliance_detail(self, address: str) -> AllianceTaskDetail:
        task = self.alliance(address)
        summary = self._summary(address, "alliance")
        infos = [task.participant_info(a) for a in task.participants()]
        participants = [
            ParticipantView(
                address=p.address, index=p.index, joined=p.joined, withdrawn=p.withdrawn, stake=p.stake,
                claimable=p.claimable, accepted_proposals=p.accepted_proposals, majority_votes=p.majority_votes,
            )
            for p in infos
        ]
        return AllianceTaskDetail(
            **summary.model_dump(exclude={"kind"}),
            config=_plain_config(task.config()),
            global_model_hash="0x" + bytes(task.global_model_hash()).hex(),
            participant_list=participants,
            balances=self._balances(task),
        )

    def _balances(self, task: AllianceTaskClient) -> list[BalanceSeries]:
        """stake + claimable per participant after joining and after each finalized round, from events.

        Rebuilt from `Joined`, `Rewarded` and `Slashed` rather than read at past blocks, so it
        works on nodes without archive state.
        """
        joined = {str(ev["args"]["participant"]): int(ev["args"]["stake"]) for ev in task.events("Joined")}
        finalized = sorted(int(ev["args"]["round"]) for ev in task.events("RoundFinalized"))
        delta: dict[tuple[int, str], int] = {}
        for ev in task.events("Rewarded"):
            key = (int(ev["args"]["round"]), str(ev["args"]["account"]))
            delta[key] = delta.get(key, 0) + int(ev["args"]["amount"])
        for ev in task.events("Slashed"):
            key = (int(ev["args"]["round"]), str(ev["args"]["account"]))
            delta[key] = delta.get(key, 0) - int(ev["args"]["amount"])
        series = []
        for address, stake in joined.items():
            values, current = [stake], stake
            for r in finalized:
                current += delta.get((r, address), 0)
                values.append(current)
            series.append(BalanceSeries(address=address, values=values))
        return series

    def _rounds(self, address: str) -> list[RoundView]:
        task = self.alliance(address)
        participants = task.participants()
        finals = {int(ev["args"]["round"]): ev["args"] for ev in task.events("RoundFinalized")}
        rewards: dict[int, dict[str, int]] = {}
        for ev in task.events("Rewarded"):
            bucket = rewards.setdefault(int(ev["args"]["round"]), {})
            who = str(ev["args"]["account"])
            bucket[who] = bucket.get(who, 0) + int(ev["args"]["amount"])
        slashes: dict[int, list[SlashView]] = {}
        for ev in task.events("Slashed"):
            slashes.setdefault(int(ev["args"]["round"]), []).append(
                SlashView(account=str(ev["args"]["account"]), amount=int(ev["args"]["amount"]),
                          reason=SlashReason(int(ev["args"]["reason"])).name.lower())
            )
        # An account ejected in round e sits out every round after e.
        ejected_after = {str(ev["args"]["account"]): int(ev["args"]["round"]) for ev in task.events("Ejected")}
        return [self._round(task, r, participants, finals.get(r), rewards.get(r, {}), slashes.get(r, []),
                            [a for a, e in ejected_after.items() if r > e])
                for r in range(task.round_count())]

    def _round(
        self, task: AllianceTaskClient, r: int, participants: list[str], final: Any,
        rewards: dict[str, int], slashes: list[SlashView], ejected: list[str],
    ) -> RoundView:
        info = task.round_info(r)
        updates = task.round_updates(r).updates
        slashed = {s.account: s for s in slashes}
        proposers = []
        for i, address in enumerate(info.proposers):
            update = updates[i]
            submitted = bool(info.submitted_bitmap >> i & 1)
            proposers.append(ProposerView(
                index=i, address=address, submitted=submitted, update_hash=hex_or_none(update.update_hash),
                num_samples=update.num_samples, verdict=_verdict(info.finalized, submitted, bool(info.outcome_bitmap >> i & 1),
                                                                  address in slashed),
                reward=rewards.get(address, 0), slashed=slashed[address].amount if address in slashed else 0,
            ))
        voters = []
        for address in participants:  # every participant not ejected votes, proposers too
            if address in ejected:
                continue
            vote = task.vote_of(r, address)
            state = "revealed" if vote.revealed else "committed" if vote.committed else "none"
            voters.append(VoteView(
                voter=address, state=state, commitment=hex_or_none(vote.commitment) if vote.committed else None,
                accept_bitmap=vote.accept_bitmap if vote.revealed else None,
                aggregate_hash=hex_or_none(vote.aggregate_hash) if vote.revealed else None,
                reward=rewards.get(address, 0), slashed=slashed[address].amount if address in slashed else 0,
                slash_reason=slashed[address].reason if address in slashed else None,
            ))
        view = RoundView(
            round=r, seed="0x" + info.seed.hex(), propose_deadline=info.propose_deadline,
            commit_deadline=info.commit_deadline, reveal_deadline=info.reveal_deadline, finalized=info.finalized,
            outcome_bitmap=info.outcome_bitmap, submitted_count=info.submitted_count,
            committed_count=info.committed_count, revealed_count=info.revealed_count,
            proposers=proposers, voters=voters, ejected=ejected, rewards=rewards, slashes=slashes,
        )
        if final is not None:
            view.global_model_hash = "0x" + bytes(final["globalModelHash"]).hex()
            view.finalizer = str(final["finalizer"])
            view.round_reward = int(final["roundReward"])
            view.finalizer_bonus = int(final["finalizerBonus"])
            view.returned_to_pool = int(final["returnedToPool"])
        return view

    # ------------------------------------------------------------------ arena
    def _arena_detail(self, address: str) -> ArenaTaskDetail:
        arena = self.arena(address)
        summary = self._summary(address, "arena")
        outcome = arena.outcome()
        submissions = [
            ArenaSubmissionView(
                index=s.index, trainer=s.trainer, model_hash="0x" + s.model_hash.hex(), validators=list(s.validators),
                score=s.score if s.scored else None, committed=s.committed, revealed=s.revealed, settled=s.settled,
            )
            for s in arena.submissions()
        ]
        return ArenaTaskDetail(
            **summary.model_dump(exclude={"kind"}),
            phase=arena.phase().name.lower(),
            config=_plain_config(arena.config()),
            trainers=arena.trainers(),
            validators=arena.validators(),
            submissions=submissions,
            winner=outcome.winner if outcome.has_winner else None,
            derived_alliance=outcome.alliance,
        )


def _verdict(finalized: bool, submitted: bool, accepted: bool, slashed: bool) -> Verdict:
    """A proposer's verdict: accepted by majority, rejected (and slashed), absent, or not accepted (no majority)."""
    if not finalized:
        return "pending"
    if accepted:
        return "accepted"
    if not submitted:
        return "absent"
    return "rejected" if slashed else "not accepted"
