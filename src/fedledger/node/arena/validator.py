"""An Arena validator: stakes into the lottery; once drawn, scores its submissions by commit-reveal.

For each assigned submission it fetches the evaluation set (checked against the on-chain
`evalSetHash`; a mismatch raises `IntegrityError` and nothing is committed), fetches the model
(hash-checked, safetensors, checked against the spec's architecture), computes the spec's metric
as a fixed-point score, records `(score, salt)` durably, commits, and reveals once the commit
phase is over. A model that is missing or malformed scores 0, with a warning naming the reason:
every honest validator reaches the same 0, so the trainer earns nothing and the validators agree.

Crash safety: the score record is written atomically BEFORE the commitment is sent, so a
restarted validator reveals exactly what it committed to (otherwise it would be slashed as absent).
"""

from __future__ import annotations

import json
from collections.abc import Callable
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fedledger.chain.arena import ArenaTaskClient
from fedledger.core.errors import ConfigError, IntegrityError, StorageError, UpdateValidationError, ValidationError
from fedledger.core.records import ArenaPhase, ArenaRole
from fedledger.learning.data import Dataset
from fedledger.node.arena.actor import ArenaActor, TxHook
from fedledger.node.arena.artifacts import fetch_eval_set, fetch_model, score_state, verify_eval_set
from fedledger.node.arena.behaviours import ValidatorBehaviour
from fedledger.node.state import atomic_write_bytes
from fedledger.storage.base import BlobStore
from fedledger.storage.cid import CidLike

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class ScoreRecord:
    """What a validator committed to for one submission; enough to reveal after a restart."""

    submission: int
    score: int
    salt: bytes
    reason: str = ""

    def to_json(self) -> bytes:
        return json.dumps(
            {"submission": self.submission, "score": self.score, "salt": self.salt.hex(), "reason": self.reason},
            sort_keys=True,
        ).encode()

    @classmethod
    def from_json(cls, raw: bytes, path: Path) -> ScoreRecord:
        try:
            data = json.loads(raw)
            return cls(int(data["submission"]), int(data["score"]), bytes.fromhex(str(data["salt"])), str(data.get("reason", "")))
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(
                f"score record {path} is unreadable ({exc}); remove it only if its score was never committed"
            ) from exc


class ArenaValidator(ArenaActor):
    """One validator: an account, a stake, a behaviour and a state dir."""

    def __init__(
        self,
        task: ArenaTaskClient,
        store: BlobStore,
        account: Any,
        state_dir: Path | str,
        stake: int,
        behaviour: ValidatorBehaviour | None = None,
        *,
        eval_set_cid: CidLike | None = None,
        eval_set_source: Callable[[str], bytes] | None = None,
        seed: int = 0,
        withdraw_when_done: bool = True,
        on_tx: TxHook | None = None,
    ) -> None:
        super().__init__(task, store, account, state_dir, withdraw_when_done=withdraw_when_done, on_tx=on_tx)
        self.stake = stake
        self.behaviour = behaviour or ValidatorBehaviour()
        self.eval_set_cid = eval_set_cid
        self.eval_set_source = eval_set_source
        """The off-chain channel to the creator (`creator.hand_eval_set`); None: fetch from the store."""
        """The CID the creator announced for its evaluation set (default: the on-chain hash's CID)."""
        self.seed = seed
        self._eval: Dataset | None = None
        self._registered = False
        self._votes: dict[int, tuple[bool, bool]] = {}
        self.scores: dict[int, int] = {}
        """submission -> score this validator committed (for reports)"""
        self.reasons: dict[int, str] = {}
        """submission -> why it was scored 0 (missing / malformed model), if so"""
        self.eval_seconds = 0.0

    # ------------------------------------------------------------------ lazy set-up
    @property
    def eval_set(self) -> Dataset:
        """The creator's evaluation set, verified against `evalSetHash` (fetched once)."""
        if self._eval is None:
            committed = self.task.config().eval_set_hash
            if self.eval_set_source is not None:
                self._eval = verify_eval_set(self.eval_set_source(self.address), committed, self.spec, source="the creator")
            else:
                self._eval = fetch_eval_set(self.store, committed, self.spec, self.eval_set_cid)
        return self._eval

    # ------------------------------------------------------------------ step
    def step(self) -> str:
        """Perform the next due actions; return what was done ("idle" if nothing, "done" at the end)."""
        if self.done:
            return "done"
        phase = self.task.phase()
        if phase is ArenaPhase.SUBMISSION:
            if not self._registered:
                self._registered = self.task.account(self.address).role is ArenaRole.VALIDATOR
                if not self._registered:
                    self._tx("registerValidator", lambda: self.task.register_validator(self.stake, self.account))
                    self._registered = True
                    return f"registered as validator (stake {self.stake})"
            return "idle"
        if phase is ArenaPhase.COMMIT:
            return self._commit_all()
        if phase is ArenaPhase.REVEAL:
            return self._reveal_all()
        if phase in (ArenaPhase.FINISHED, ArenaPhase.CLOSED):
            acc = self.task.account(self.address)
            if self.withdraw_when_done and acc.role is ArenaRole.VALIDATOR and not acc.withdrawn:
                self._tx("withdraw", lambda: self.task.withdraw(self.account))
                self.done = True
                return "withdrew"
            self.done = True
            return "done"
        return "idle"

    def _vote_status(self, submission: int) -> tuple[bool, bool]:
        if submission not in self._votes:
            vote = self.task.vote_of(submission, self.address)
            self._votes[submission] = (vote.committed, vote.revealed)
        return self._votes[submission]

    # ------------------------------------------------------------------ commit
    def _commit_all(self) -> str:
        done = []
        for s in self.task.assignments_of(self.address):
            committed, _ = self._vote_status(s)
            if committed:
                continue
            record = self._load(s) or self._prepare(s)
            self._tx("commitScore", lambda: self.task.commit_score_value(s, record.score, record.salt, self.account))
            self._votes[s] = (True, False)
            self.scores[s] = record.score
            done.append(f"{s}:{record.score}")
        return f"committed scores {', '.join(done)}" if done else "idle"

    def _prepare(self, submission: int) -> ScoreRecord:
        """Score `submission` per the behaviour and record it durably before anything is sent."""
        reason = ""

        def honest() -> int:
            nonlocal reason
            score, reason = self.evaluate(submission)
            return score

        score = self.behaviour.score(honest, submission, self.address, self.seed)
        record = ScoreRecord(submission, int(score), os.urandom(32), reason)
        atomic_write_bytes(self._path(submission), record.to_json())
        if reason:
            self.reasons[submission] = reason
        return record

    def evaluate(self, submission: int) -> tuple[int, str]:
        """(fixed-point score, reason it is 0 or ""). An eval set that fails its hash check raises
        `IntegrityError`; a missing or malformed model scores 0 with a logged reason."""
        data = self.eval_set  # raises IntegrityError / ValidationError: never score on an unverified set
        model_hash = self.task.submission(submission).model_hash
        start = time.perf_counter()
        try:
            state = fetch_model(self.store, model_hash, self.spec)
            return score_state(self.spec, state, data), ""
        except (StorageError, IntegrityError, UpdateValidationError, ValidationError) as exc:
            reason = f"model {model_hash.hex()[:12]} of submission {submission} rejected: {exc}"[:300]
            log.warning("%s: %s; scoring it 0", self.address, reason)
            return 0, reason
        finally:
            self.eval_seconds += time.perf_counter() - start

    # ------------------------------------------------------------------ reveal
    def _reveal_all(self) -> str:
        if not self.behaviour.reveals:
            return "idle"
        done = []
        for s in self.task.assignments_of(self.address):
            committed, revealed = self._vote_status(s)
            if not committed or revealed:
                continue
            record = self._load(s)
            if record is None:
                log.error("%s: committed a score for submission %d but its record is gone; cannot reveal", self.address, s)
                continue
            self._tx("revealScore", lambda: self.task.reveal_score(s, record.score, record.salt, self.account))
            self._votes[s] = (True, True)
            done.append(str(s))
        return f"revealed scores for {', '.join(done)}" if done else "idle"

    # ------------------------------------------------------------------ state
    def _path(self, submission: int) -> Path:
        return self.state_dir / f"score-{submission}.json"

    def _load(self, submission: int) -> ScoreRecord | None:
        path = self._path(submission)
        return ScoreRecord.from_json(path.read_bytes(), path) if path.exists() else None
