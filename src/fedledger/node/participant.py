"""A participant of an Alliance task, driven by `step()`.

`step()` reads the chain (the source of truth), works out the one action that is due for
this node now, performs it and returns what it did. It is idempotent: calling it again
after a crash, or from a fresh object on the same state dir, re-derives everything from the
chain plus the vote record in the state dir, so a node killed at any point resumes without
losing stake or a committed vote. `run()` is `step()` in a loop with a short wait; the
one-process simulation calls `step()` on every node round-robin instead.

What is due, in order (see docs/alliance-protocol.md):

- Joining: join (approve + stake) once; start round 0 when enough have joined.
- Training, round r open: as proposer, train, publish the blob, `submitUpdate`; then, as
  every participant does (proposers too), once the propose phase is over, fetch/verify/score
  every update, decide per update, aggregate the accepted ones, store the aggregate, record
  the vote durably, commit; once the commit phase is over, reveal. Anyone finalizes when due
  and starts the next round.
- Finished/Closed: withdraw (if asked to), then the node is done.

Races ("anyone may" actions two nodes attempt at once) surface as a decoded `RevertError`;
the loser logs it and moves on.

Chain reads per polling step: `roundInfo` (identical for every node, so the embedded chain's
view cache answers all but the first read of a block) and the block time; `roundCount` only
once the round it knows is finalized, `status` only past the task's lifecycle. Per round, once:
the global model hash, and for a voter the round's proposers and updates (`updatesOf`). The
node's own join and vote state is tracked from its own transactions, because nobody else can
change it: joining is read once, a round's vote only if the state dir holds a record for it
(which is written before the commitment is sent, so without one there is no commitment).

`observe()` does a step's reads without acting. The one-process simulation observes every
node before stepping any of them, as nodes of a real network all see the same new block, and
`step()` then acts on that observation even if other nodes' transactions came in between.
That is sound because what a node does on its own (submit, commit, reveal) depends only on
conditions that never turn back (a phase once over stays over; deadlines are fixed; the chain
time is read fresh) and on its own vote, which only it changes. An action anyone may take
(finalize, start the next round) is re-checked against fresh state first, so nodes do not race
each other into reverts.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fedledger.chain.alliance import AllianceTaskClient
from fedledger.protocol.alliance import vote_commitment
from fedledger.core.errors import (
    ChainError,
    ConfigError,
    IntegrityError,
    RevertError,
    StorageError,
    UpdateValidationError,
    ValidationError,
)
from fedledger.core.records import Role, RoundInfo, RoundUpdates, TaskStatus
from fedledger.core.types import ZERO_DIGEST, Digest32
from fedledger.learning.data import Dataset
from fedledger.learning.spec import TaskSpec
from fedledger.node.behaviours import Behaviour, VoteContext
from fedledger.learning.train import output_layer_key
from fedledger.node.evidence import RoundEvidence
from fedledger.node.learner import Learner
from fedledger.node.seeds import train_seed
from fedledger.node.state import NodeState, VoteRecord
from fedledger.node.specs import fetch_spec, fetch_validation_set
from fedledger.node.voting import UpdateScore, VoteRule
from fedledger.storage.base import BlobStore
from fedledger.storage.cid import cid_from_digest, digest_of

log = logging.getLogger(__name__)

TIMED_STEP_PARTS = ("storage", "validate", "aggregate", "reference")
"""The parts of `step()` a node times on its own (`Participant.timings`); training and voter
evaluation are timed by its learner."""

class NotParticipantError(ConfigError):
    """This node's account is not a participant of the task and can no longer become one."""


RETRY_FOR_S = 600.0
"""How long `run` keeps retrying steps that fail in a row before it gives up."""
RETRY_PAUSE_MAX_S = 30.0
"""The longest pause between two tries (pauses double from 2 x poll_s)."""
MODEL_CACHE = 16
"""Parsed models a node keeps (the global models it builds on, the round's updates)."""

TxHook = Callable[[str, str, Any], None]
"""`on_tx(address, function_name, receipt)`: lets the simulation account gas per function."""


@dataclass
class _ProposeCtx:
    """`ProposeContext` for behaviours, bound to one round."""

    learner: Learner
    global_state: Any
    round_index: int

    def train(self, flip_labels: bool = False) -> Any:
        return self.learner.train(self.global_state, self.round_index, flip_labels=flip_labels)

    def combine(self, base: Any, other: Any, coef: float) -> Any:
        return self.learner.combine(base, other, coef)

    def noise_like(self, state: Any, scale: float) -> Any:
        return self.learner.noise_like(state, scale, train_seed(self.learner.spec.seed, self.round_index, self.learner.address) ^ 1)


@dataclass
class RoundMemo:
    """What this node learnt in one round (for reports; not needed for correctness)."""

    role: str = "none"
    verdicts: dict[int, str] = field(default_factory=dict)


class Participant:
    """One node: an account, a task, its private data, a behaviour and a state dir."""

    def __init__(
        self,
        task: AllianceTaskClient,
        store: BlobStore,
        account: Any,
        data: Dataset,
        state_dir: Path | str,
        behaviour: Behaviour | None = None,
        *,
        stake: int | None = None,
        vote_rule: VoteRule = VoteRule(),
        test_fraction: float = 0.2,
        start_at: int | None = None,
        auto_start: bool = True,
        withdraw_when_done: bool = True,
        on_tx: TxHook | None = None,
    ) -> None:
        self.task = task
        self.store = store
        self.account = account
        self.address: str = account.address
        self.data = data
        self.behaviour = behaviour or Behaviour()
        self.state = NodeState(state_dir, task.address, owner=account.address)
        self.stake = stake
        self.vote_rule = vote_rule
        self.auto_start = auto_start
        self.test_fraction = test_fraction
        self.start_at = start_at
        self.withdraw_when_done = withdraw_when_done
        self.on_tx = on_tx
        self._spec: TaskSpec | None = None
        self._config: Any = None
        self._learner: Learner | None = None
        self._validation: tuple[Dataset | None] | None = None
        self._head_key: str | None = None
        self._models: dict[bytes, Any] = {}
        self._round_globals: dict[int, bytes] = {}
        """round -> the global model hash during that round (it changes only at finalization)."""
        self._round_updates: dict[int, RoundUpdates] = {}
        """round -> its proposers and updates, read once the propose phase is over (final then)."""
        self._observed: tuple[int, RoundInfo] | None = None
        """What `observe()` read for the next step, if it has not been used yet."""
        self._joined = False
        """True once this node's join is known (own tx or a chain read); joining is final."""
        self._ejected = False
        """True once this node was ejected; ejection is final."""
        self._ejected_checked: int | None = None
        self._votes: dict[int, tuple[bool, bool]] = {}
        """round -> (committed, revealed) of this node's own vote, read from the chain once per
        round and then kept up to date by this node's own transactions (nobody else can
        change them), so a polling step needs no `voteOf` call."""
        self.memo: dict[int, RoundMemo] = {}
        self.timings: dict[str, float] = dict.fromkeys(("step", *TIMED_STEP_PARTS), 0.0)
        """Seconds spent in `step()` and in its storage / update-validation / aggregation /
        public-reference parts; training and voter evaluation are on `learner.train_seconds` /
        `learner.eval_seconds`."""
        self.done = False

    # ------------------------------------------------------------------ lazy set-up
    @property
    def config(self) -> Any:
        """The task's configuration (immutable on-chain, so read once)."""
        if self._config is None:
            self._config = self.task.config()
        return self._config

    @property
    def spec(self) -> TaskSpec:
        if self._spec is None:
            self._spec = fetch_spec(self.store, self.config.spec_hash)
        return self._spec

    @property
    def learner(self) -> Learner:
        if self._learner is None:
            self._learner = Learner(self.spec, self.data, self.address, self.test_fraction)
        return self._learner

    def _output_layer(self) -> str:
        """The spec model's output-layer weight name (building the model to find it: once)."""
        if self._head_key is None:
            self._head_key = output_layer_key(self.spec)
        return self._head_key

    @property
    def validation(self) -> Dataset | None:
        """The spec's public validation set (fetched and checked once), or None if it has none."""
        if self._validation is None:
            self._validation = (fetch_validation_set(self.store, self.spec),)
        return self._validation[0]

    # ------------------------------------------------------------------ transactions
    def _tx(self, name: str, call: Callable[[], Any]) -> Any:
        receipt = call()
        if self.on_tx is not None:
            self.on_tx(self.address, name, receipt)
        return receipt

    def _try_anyone(self, name: str, call: Callable[[], Any]) -> bool:
        """An action anyone may take; losing the race to another node is not an error."""
        try:
            self._tx(name, call)
            return True
        except RevertError as exc:
            log.info("%s: %s not needed (%s)", self.address, name, exc.error_name)
            return False

    @contextmanager
    def _timed(self, part: str) -> Iterator[None]:
        """Add the seconds the block takes to `timings[part]`, failures included."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[part] += time.perf_counter() - start

    # ------------------------------------------------------------------ models
    def _model(self, digest: bytes) -> Any:
        """The model with on-chain hash `digest`, fetched once (verified, parsed) then cached."""
        if digest not in self._models:
            with self._timed("storage"):
                state = self._load_model(digest)
            self._remember_model(digest, state)
        return self._models[digest]

    def _load_model(self, digest: bytes) -> Any:
        """Fetch, verify and parse the model with on-chain hash `digest`."""
        blob = self.store.get(cid_from_digest(digest), max_blob_bytes=self.spec.max_blob_bytes)
        return self.learner.from_bytes(blob)

    def _remember_model(self, digest: bytes, state: Any) -> None:
        self._models[digest] = state
        if len(self._models) > MODEL_CACHE:
            self._models.pop(next(iter(self._models)))

    def _global(self, round_: int | None = None) -> tuple[bytes, Any, bool]:
        """(hash, state, pioneer?) of the current global model; a fresh model if none yet.

        Given an open round, its hash is read once per round: only finalizing it changes it."""
        if round_ is None:
            digest = bytes(self.task.global_model_hash())
        else:
            if round_ not in self._round_globals:
                self._round_globals = {round_: bytes(self.task.global_model_hash())}
            digest = self._round_globals[round_]
        if digest == ZERO_DIGEST:
            return digest, self.learner.initial_state(), True
        return digest, self._model(digest), False

    def _previous_global(self, r: int, current: bytes) -> Any | None:
        """The global model before the last change to the current one, or None if there is none.

        Rebuilt from public data only (the `RoundFinalized` events' model hashes, the task's
        initial model hash or the spec's initial model, and the store), so a restarted node
        gets the same reference as every other voter.
        """
        cfg = self.config
        history: list[bytes] = [bytes(cfg.initial_model_hash)]
        events = sorted(self.task.events("RoundFinalized"), key=lambda ev: int(ev["args"]["round"]))
        history += [bytes(ev["args"]["globalModelHash"]) for ev in events if int(ev["args"]["round"]) < r]
        for digest in reversed(history):
            if digest != current:
                return self.learner.initial_state() if digest == ZERO_DIGEST else self._model(digest)
        return None

    def _publish(self, state: Any) -> Digest32:
        with self._timed("storage"):
            blob = self.learner.to_bytes(state)
            digest = digest_of(self.store.put(blob, max_blob_bytes=self.spec.max_blob_bytes))
        self._remember_model(digest, state)
        return digest

    # ------------------------------------------------------------------ the step
    def step(self) -> str:
        """Perform the next due action, if any; return a short description ("idle" if none)."""
        if self.done:
            return "done"
        with self._timed("step"):
            return self._step()

    def observe(self) -> None:
        """Do the reads of the next `step()` now, so that it can act on them later (see the
        module docstring). Only in the training phase; otherwise the step reads for itself.
        Its time counts as step time."""
        if self.done or not self.behaviour.shows_up:
            return
        with self._timed("step"):
            self._observe()

    def _observe(self) -> None:
        self._observed = None
        now = self._training_now()
        if now is None:
            if getattr(self, "_status_every_step", False) or self.task.status() != TaskStatus.TRAINING:
                return
            self._enter_training()
            now = self.task.client.now()
        seen = self._read_round()
        self._observed = seen
        if seen is None:
            return
        r, info = seen
        if info.finalized:
            return
        self._global(r)
        if info.submitted_count == len(info.proposers) or now > info.propose_deadline:
            self._updates_of(r)

    def _read_round(self) -> tuple[int, RoundInfo] | None:
        """(round, its info) of the latest started round; None before round 0 starts."""
        # A new round can only start once the current one is finalized, so while the round
        # this node last saw is open, `roundCount` cannot have moved: one view fewer per step.
        known: int | None = getattr(self, "_round", None)
        info = self.task.round_info(known) if known is not None else None
        r = known
        if info is None or info.finalized:
            r = self.task.current_round()
            if r is None:
                return None
            if r != known:
                info = self.task.round_info(r)
            self._round = r
        assert info is not None and r is not None
        return r, info

    def _updates_of(self, r: int) -> RoundUpdates:
        """Round r's proposers and updates (read once: final when the propose phase is over)."""
        if r not in self._round_updates:
            self._round_updates = {r: self.task.round_updates(r)}
        return self._round_updates[r]

    def _training_now(self) -> int | None:
        """The chain time while the task is known to be training; None when `status` must be read.

        While training, the status can only change by the last round's finalization (seen in
        roundInfo) or by `close()`, which nobody may call before createdAt + maxLifecycle:
        until then a polling step needs no `status` read."""
        until: int | None = getattr(self, "_training_until", None)
        if until is None or not self.behaviour.shows_up:
            return None
        now = self.task.client.now()
        if now <= until:
            return now
        self._training_until = None
        self._status_every_step = True  # past the lifecycle: anyone may close the task
        return None

    def _step(self) -> str:
        observed, self._observed = self._observed, None
        now = self._training_now()
        if now is not None:
            return self._step_training(now, observed)
        status = self.task.status()
        if status == TaskStatus.JOINING:
            return self._step_joining()
        if not self._is_joined():
            raise NotParticipantError(
                f"{self.address} did not join task {self.task.address} and can no longer join it: the task is "
                f"{status.name} (joining is open only while it is JOINING); there is nothing for this node to do"
            )
        if status in (TaskStatus.FINISHED, TaskStatus.CLOSED):
            return self._step_finished()
        if self.behaviour.shows_up and not getattr(self, "_status_every_step", False):
            self._enter_training()
        return self._step_training()

    def _enter_training(self) -> None:
        """Seen `Training`: no `status` read is needed again before the lifecycle ends."""
        self._training_until = self.task.created_at() + self.config.max_lifecycle

    def _is_joined(self) -> bool:
        if not self._joined:
            self._joined = self.task.participant_info(self.address).joined
        return self._joined

    def _step_joining(self) -> str:
        if not self._is_joined():
            amount = self.stake if self.stake is not None else self.config.stake_required
            self._tx("join", lambda: self.task.join(amount, self.account))
            self._joined = True
            _ = self.spec, self.learner  # fetch + verify the spec and split data on joining
            return "joined"
        if self.auto_start and self.behaviour.shows_up:
            cfg = self.config
            if self.task.participant_count() >= cfg.min_participants and self._ready_to_start():
                if self._try_anyone("startRound", lambda: self.task.start_round(self.account)):
                    return "started round 0"
        return "idle"

    def _ready_to_start(self) -> bool:
        """Round 0 starts once `start_at` participants joined (default: when the task is full)."""
        target = self.start_at if self.start_at is not None else self.config.max_participants
        return self.task.participant_count() >= target

    def _step_finished(self) -> str:
        if self.withdraw_when_done and self.behaviour.shows_up:
            info = self.task.participant_info(self.address)
            if info.joined and not info.withdrawn:
                self._tx("withdraw", lambda: self.task.withdraw(self.account))
                self.done = True
                return "withdrew"
        self.done = True
        return "done"

    def _step_training(self, now: int | None = None, observed: tuple[int, RoundInfo] | None = None) -> str:
        """One training-phase step; `now` is the chain time if the caller already read it,
        `observed` what `observe()` read (acted on for this node's own actions only)."""
        if not self.behaviour.shows_up:
            return "idle"
        seen = observed if observed is not None else self._read_round()
        if seen is None:
            return "idle"
        r, info = seen
        cfg = self.config
        if now is None:
            now = self.task.client.now()
        if info.finalized:
            if observed is not None:
                return self._step_training(now)  # anyone may start the next round: check afresh
            if r + 1 >= cfg.rounds:
                self._training_until = None  # the task is finished: read the status again
            elif self._try_anyone("startRound", lambda: self.task.start_round(self.account)):
                return f"started round {r + 1}"
            return "idle"
        voters = info.voter_count
        propose_over = info.submitted_count == len(info.proposers) or now > info.propose_deadline
        commit_over = info.committed_count == voters or now > info.commit_deadline
        reveal_over = info.revealed_count == voters or now > info.reveal_deadline
        me = self.address.lower()
        proposer_index = next((i for i, p in enumerate(info.proposers) if p.lower() == me), None)
        if proposer_index is not None:
            self.memo.setdefault(r, RoundMemo()).role = "proposer"
            submitted = bool(info.submitted_bitmap >> proposer_index & 1)
            if not submitted and now <= info.propose_deadline:
                return self._propose(r, proposer_index)
        # Every participant not ejected votes, a proposer too (on the others' updates: its bit
        # on its own does not count, but it names the aggregate it expects, like everyone).
        # A proposer was drawn among those not ejected, so it needs no ejection read.
        if proposer_index is not None or (self._is_joined() and not self._is_ejected(r)):
            if proposer_index is None:
                self.memo.setdefault(r, RoundMemo()).role = "voter"
            committed, revealed = self._vote_status(r)
            if not committed and propose_over and now <= info.commit_deadline:
                return self._commit(r)
            if committed and not revealed and commit_over and now <= info.reveal_deadline:
                return self._reveal(r)
        if reveal_over:
            if observed is not None:
                return self._step_training(now)  # anyone may finalize: check afresh
            if self._try_anyone("finalizeRound", lambda: self.task.finalize_round(r, self.account)):
                return f"finalized round {r}"
        return "idle"

    def _is_ejected(self, r: int) -> bool:
        """Whether this node was ejected (stake below half of stakeRequired): it then only
        finalizes rounds and withdraws at the end. One chain read per round until it happens."""
        if not self._ejected and self._ejected_checked != r:
            self._ejected = self.task.role_of(r, self.address) is Role.EJECTED
            self._ejected_checked = r
            if self._ejected:
                log.info("%s: ejected (stake below half of the required stake); sitting out the rest of the task", self.address)
        if self._ejected:
            self.memo.setdefault(r, RoundMemo()).role = "ejected"
        return self._ejected

    def _vote_status(self, r: int) -> tuple[bool, bool]:
        """(committed, revealed) of this node's vote in round r: read from the chain once per
        round, and not at all while the state dir holds no vote record for r. The record is
        written before the commitment is sent, so without one this node has not committed
        (a commitment sent from elsewhere is caught by `_commit`)."""
        if r not in self._votes:
            if self.state.load_vote(r) is None:
                return False, False
            vote = self.task.vote_of(r, self.address)
            self._votes[r] = (vote.committed, vote.revealed)
        return self._votes[r]

    # ------------------------------------------------------------------ proposer
    def _propose(self, r: int, index: int) -> str:
        name = f"update-{r}"
        cid = self.state.load_blob_cid(name)
        if cid is not None and self.store.has(cid):
            digest = digest_of(cid)
        else:
            _, global_state, _ = self._global(r)
            update = self.behaviour.make_update(_ProposeCtx(self.learner, global_state, r))
            digest = self._publish(update)
            self.state.save_blob_cid(name, str(cid_from_digest(digest)))
        self._tx(
            "submitUpdate",
            lambda: self.task.submit_update(r, index, digest, self.learner.num_samples, self.account),
        )
        return f"submitted update for round {r}"

    # ------------------------------------------------------------------ voter
    def _fetch_updates(
        self, round_updates: RoundUpdates, submitted: list[int], global_state: Any, global_flat: np.ndarray
    ) -> tuple[list[UpdateScore], dict[int, tuple[Any, int]], dict[int, np.ndarray]]:
        """Fetch, verify and validate every submitted update, each exactly once; keep each
        valid one's flat delta to the global model (built by the validation) for the screens."""
        scores: list[UpdateScore] = []
        valid: dict[int, tuple[Any, int]] = {}
        deltas: dict[int, np.ndarray] = {}
        with self._timed("validate"):
            ref_norm = self.learner.norm(global_state)  # in a pioneering round: the initial model
        for i in submitted:
            upd = round_updates.updates[i]
            try:
                state = self._model(bytes(upd.update_hash))
                with self._timed("validate"):
                    distance, deltas[i] = self.learner.validate_delta(state, global_state, global_flat)
            except (StorageError, IntegrityError, UpdateValidationError, ValidationError) as exc:
                scores.append(UpdateScore(i, False, reason=f"missing or malformed: {exc}"[:200]))
                continue
            valid[i] = (state, upd.num_samples)
            rel = distance / ref_norm if ref_norm else None
            scores.append(UpdateScore(i, True, distance, rel))
        return scores, valid, deltas

    def _commit(self, r: int) -> str:
        record = self.state.load_vote(r)
        if record is None:
            record = self._prepare_vote(r)
            self.state.save_vote(record)  # durable BEFORE the commitment is sent
        commitment = vote_commitment(r, self.address, record.bitmap, record.aggregate_hash, record.salt)
        try:
            self._tx("commitVote", lambda: self.task.commit_vote(r, commitment, self.account))
        except RevertError as exc:
            if exc.error_name != "AllianceTaskAlreadyCommitted":
                raise
            # Committed from another state dir: this record's salt does not open that commitment.
            self.state.discard_vote(r)
            vote = self.task.vote_of(r, self.address)
            self._votes[r] = (vote.committed, vote.revealed)
            log.error("%s: already committed in round %d from elsewhere; this state dir cannot reveal that vote", self.address, r)
            return "idle"
        self._votes[r] = (True, False)
        return f"committed vote for round {r}"

    def _prepare_vote(self, r: int) -> VoteRecord:
        """Score, decide, aggregate and store: everything a vote needs, computed once."""
        global_digest, global_state, pioneer = self._global(r)
        # From `updatesOf`, not from `info`: an observed `info` may predate the last submission.
        round_updates = self._updates_of(r)
        submitted = [i for i, update in enumerate(round_updates.updates) if update.submitted]
        with self._timed("validate"):
            global_flat = self.learner.flatten(global_state) if self.behaviour.fetches else None
        if global_flat is not None:
            scores, valid, deltas = self._fetch_updates(round_updates, submitted, global_state, global_flat)
        else:
            scores, valid, deltas = [], {}, {}
        evidence = RoundEvidence(
            self.learner,
            r,
            global_state,
            valid,
            validation=self.validation,
            head_key=self._output_layer(),
            previous_global=lambda: self._previous_global(r, bytes(global_digest)),
            timings=self.timings,
            known_class_min=self.vote_rule.known_class_min,
            global_flat=global_flat,
            deltas=deltas,
        )
        evaluates = self.behaviour.evaluates and self.behaviour.fetches
        verdict = self.behaviour.vote(
            VoteContext(
                round_updates.proposers,
                submitted,
                scores if evaluates else [],
                pioneer,
                evidence.subset_metrics if evaluates else None,
                self.vote_rule,
                evidence.direction if evaluates else None,
                evidence.previous_step if evaluates and not pioneer and self.vote_rule.use_previous_step else None,
                evidence.reference if evaluates and self.validation is not None else None,
            )
        )
        self.memo.setdefault(r, RoundMemo(role="voter")).verdicts = {i: verdict.reasons.get(i, "") for i in submitted}
        if not self.behaviour.fetches:
            # it never saw the updates, so the only model hash it can name is the current one
            return VoteRecord(round=r, bitmap=verdict.bitmap, aggregate_hash=bytes(global_digest), salt=os.urandom(32))
        accepted = tuple(i for i in verdict.accepted if i in valid)
        agg_digest = self._publish(evidence.aggregate(accepted)) if accepted else global_digest
        return VoteRecord(round=r, bitmap=sum(1 << i for i in accepted), aggregate_hash=bytes(agg_digest), salt=os.urandom(32))

    def _reveal(self, r: int) -> str:
        record = self.state.load_vote(r)
        if record is None:
            log.error("%s: committed in round %d but the vote record is gone; cannot reveal", self.address, r)
            return "idle"
        self._tx(
            "revealVote",
            lambda: self.task.reveal_vote(r, record.bitmap, record.aggregate_hash, record.salt, self.account),
        )
        self._votes[r] = (True, True)
        return f"revealed vote for round {r}"

    # ------------------------------------------------------------------ loop
    def run(
        self,
        poll_s: float = 0.5,
        max_steps: int | None = None,
        should_stop: Callable[[], bool] | None = None,
        retry_for_s: float = RETRY_FOR_S,
    ) -> None:
        """Step until the task is over (and withdrawn); sleep `poll_s` when nothing is due.

        A step that fails on the chain or the store (a node or gateway that drops a request, a
        receipt that times out, a store that is briefly unreachable) is tried again after a
        growing pause, as a restarted process would resume: every step re-reads what it acts
        on from the chain. Failures in a row for longer than `retry_for_s` end the run with the
        last error (0: the first failure does). A contract revert is tried again once, since the
        chain may have moved on between the step's reads and its transaction; a second revert
        in a row is the contract's answer and ends the run."""
        steps = 0
        failing_since: float | None = None
        failures = 0
        last: Exception | None = None
        while not self.done:
            if should_stop is not None and should_stop():
                return
            try:
                action = self.step()
            except (ChainError, StorageError) as exc:
                now = time.monotonic()
                failing_since = now if failing_since is None else failing_since
                if now - failing_since >= retry_for_s or (isinstance(exc, RevertError) and isinstance(last, RevertError)):
                    raise
                last = exc
                failures += 1
                pause = min(RETRY_PAUSE_MAX_S, poll_s * 2**failures)
                log.warning("%s: step failed (%s); trying again in %.1f s", self.address, exc, pause)
                self._forget_unconfirmed()
                time.sleep(pause)
                continue
            failing_since, failures, last = None, 0, None
            if action != "idle":
                log.info("%s: %s", self.address, action)
            steps += 1
            if max_steps is not None and steps >= max_steps:
                return
            if action in ("idle",):
                time.sleep(poll_s)

    def _forget_unconfirmed(self) -> None:
        """Drop what a failed step may have left out of date: the observation it was acting
        on, and the own-vote flags (a commit or reveal whose confirmation was lost may still
        have landed; trusting the old flags would commit or reveal again, and be refused)."""
        self._observed = None
        self._votes.clear()
