"""An Arena trainer: stakes, trains the spec's model on its own data, publishes it, submits its hash.

Quality is the trainer's own business: the spec fixes the architecture (which the validators
check) and the metric; how much data and how many epochs a trainer spends is what makes one
model better than another. `epochs` defaults to the spec's `local_epochs`.

Crash safety: the published model's CID is remembered in the state dir before the submission is
sent, and training is seeded, so a restarted trainer submits the same model.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from fedledger.chain.arena import ArenaTaskClient
from fedledger.core.errors import ConfigError
from fedledger.core.records import ArenaPhase, ArenaRole
from fedledger.learning.data import Dataset
from fedledger.learning.spec import TaskSpec
from fedledger.learning.train import derive_seed, train_local
from fedledger.learning.updates import state_to_bytes
from fedledger.node.arena.actor import ArenaActor, TxHook
from fedledger.node.state import atomic_write_bytes
from fedledger.storage.base import BlobStore
from fedledger.storage.cid import digest_of, parse_cid

log = logging.getLogger(__name__)



class ArenaTrainer(ArenaActor):
    """One competing trainer: an account, a task, its private data and a training budget."""

    def __init__(
        self,
        task: ArenaTaskClient,
        store: BlobStore,
        account: Any,
        data: Dataset,
        state_dir: Path | str,
        *,
        epochs: int | None = None,
        seed: int | None = None,
        withdraw_when_done: bool = True,
        on_tx: TxHook | None = None,
    ) -> None:
        if epochs is not None and epochs < 1:
            raise ConfigError(f"trainer epochs must be >= 1, got {epochs}")
        super().__init__(task, store, account, state_dir, withdraw_when_done=withdraw_when_done, on_tx=on_tx)
        self.data = data
        self.epochs = epochs
        self.seed = seed
        """training seed; None = derived from the address (a simulation passes one to be reproducible)"""
        self._registered = False
        self._submitted = False
        self.model_hash: bytes | None = None
        self.train_seconds = 0.0

    # ------------------------------------------------------------------ step
    def step(self) -> str:
        """Perform the next due action; return what was done ("idle" if nothing, "done" at the end)."""
        if self.done:
            return "done"
        phase = self.task.phase()
        if phase is ArenaPhase.SUBMISSION:
            if not self._registered:
                self._registered = self.task.account(self.address).role is ArenaRole.TRAINER
            if not self._registered:
                self.data.check_schema(self.spec.dataset)  # fail before staking, not after
                self._tx("registerTrainer", lambda: self.task.register_trainer(self.account))
                self._registered = True
                return "registered as trainer"
            if not self._submitted:
                self._submitted = self.task.submission_of(self.address) is not None
            if not self._submitted:
                digest = self._publish_model()
                self._tx("submitModel", lambda: self.task.submit_model(digest, self.account))
                self._submitted = True
                return f"submitted model {digest.hex()[:12]}"
            return "idle"
        if phase in (ArenaPhase.FINISHED, ArenaPhase.CLOSED):
            acc = self.task.account(self.address)
            if self.withdraw_when_done and acc.role is ArenaRole.TRAINER and not acc.withdrawn:
                self._tx("withdraw", lambda: self.task.withdraw(self.account))
                self.done = True
                return "withdrew"
            self.done = True
            return "done"
        return "idle"

    # ------------------------------------------------------------------ model
    def _train_seed(self, spec: TaskSpec) -> int:
        own = self.address.lower() if self.seed is None else self.seed
        return derive_seed(spec.seed, "arena-trainer", own)

    def _publish_model(self) -> bytes:
        """Train (once; a restart reuses the remembered CID) and publish; return the model's digest."""
        remembered = self.state_dir / "model.cid"
        if remembered.exists():
            cid = parse_cid(remembered.read_text().strip())
            if self.store.has(cid):
                self.model_hash = bytes(digest_of(cid))
                return self.model_hash
        spec = self.spec
        if self.epochs is not None:
            spec = spec.model_copy(update={"local_epochs": self.epochs})
        start = time.perf_counter()
        state, _ = train_local(None, spec, self.data, self._train_seed(spec))
        self.train_seconds += time.perf_counter() - start
        cid = self.store.put(state_to_bytes(state), max_blob_bytes=self.spec.max_blob_bytes)
        atomic_write_bytes(remembered, str(cid).encode())
        self.model_hash = bytes(digest_of(cid))
        log.info("%s: trained on %d samples for %d epochs -> model %s", self.address, len(self.data), spec.local_epochs, cid)
        return self.model_hash
