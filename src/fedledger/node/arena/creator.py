"""The creator side of an Arena task: publish spec and evaluation set, create the task, drive the
"anyone may" transitions when they are due, and derive the Alliance task from the winner.

The evaluation set stays the creator's: it is published to the store the validators read (in a
deployment: a store only drawn validators can reach) and its sha-256 goes on-chain as
`evalSetHash`, so a validator can check it got the set the trainers are judged by.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from typing import Any

from eth_account.signers.local import LocalAccount

from fedledger.chain.alliance import AllianceTaskClient
from fedledger.chain.arena import ArenaTaskClient
from fedledger.chain.factory import FactoryClient
from fedledger.core.errors import ConfigError, RevertError, ValidationError
from fedledger.core.records import ARENA_SCORE_SCALE, AllianceConfig, ArenaConfig, ArenaPhase
from fedledger.learning.data import Dataset
from fedledger.learning.spec import TaskSpec
from fedledger.node.arena.actor import TxHook
from fedledger.node.arena.artifacts import encode_eval_set, fetch_model, score_state
from fedledger.storage.base import BlobStore
from fedledger.storage.cid import digest_of

log = logging.getLogger(__name__)



def drive_public(task: ArenaTaskClient, sender: LocalAccount, on_tx: TxHook | None = None) -> str:
    """Take the one "anyone may" step that is due: draw validators for undrawn submissions once the
    submission phase is over, finalize once the reveal phase is over. Losing a race to another
    caller (a revert) is logged, not raised."""
    phase = task.phase()
    try:
        if phase is ArenaPhase.COMMIT:
            p = task.progress()
            if p.drawn < p.submissions:
                receipt = task.draw_validators(sender)
                if on_tx is not None:
                    on_tx(sender.address, "drawValidators", receipt)
                return f"drew validators for {task.progress().drawn - p.drawn} submission(s)"
        elif phase is ArenaPhase.SETTLEMENT:
            receipt = task.finalize(sender)
            if on_tx is not None:
                on_tx(sender.address, "finalize", receipt)
            return "finalized"
    except RevertError as exc:
        log.info("%s: %s not needed (%s)", sender.address, phase.name.lower(), exc.error_name)
    return "idle"


class ArenaCreator:
    """The organisation posting a competition: its account, its spec and its evaluation set."""

    def __init__(
        self,
        factory: FactoryClient,
        store: BlobStore,
        account: LocalAccount,
        spec: TaskSpec,
        eval_set: Dataset,
        *,
        eval_store: BlobStore | None = None,
        on_tx: TxHook | None = None,
    ) -> None:
        eval_set.check_schema(spec.dataset)
        self.factory = factory
        self.store = store
        self.account = account
        self.address: str = account.address
        self.spec = spec
        self.eval_set = eval_set
        self._eval_blob = encode_eval_set(eval_set)
        self.eval_store = eval_store
        """Where the evaluation set is also put (None: it never leaves the creator except by
        `hand_eval_set`); a shared store would let trainers fit it, so it is for tests only."""
        self.on_tx = on_tx
        self.task: ArenaTaskClient | None = None
        self.alliance: AllianceTaskClient | None = None
        self.withdrawn = False

    def _tx(self, name: str, receipt: Any) -> Any:
        if self.on_tx is not None:
            self.on_tx(self.address, name, receipt)
        return receipt

    def publish(self) -> tuple[bytes, bytes]:
        """Put the spec (canonical JSON) in the store; return the spec's and the evaluation set's digests."""
        spec_digest = bytes(digest_of(self.store.put(self.spec.canonical_json())))
        if spec_digest != bytes(self.spec.spec_digest()):
            raise ConfigError("the store returned a different digest for the spec's canonical JSON; is it a sha-256 store?")
        eval_digest = hashlib.sha256(self._eval_blob).digest()
        if self.eval_store is not None:
            self.eval_store.put(self._eval_blob)
        return spec_digest, eval_digest

    def hand_eval_set(self, validator: str) -> bytes:
        """The evaluation set, handed off-chain to a validator the lottery drew, and to no one else.

        Trainers never see it (they could fit it); a validator checks it against `evalSetHash`.
        """
        task = self._require_task()
        if not task.assignments_of(validator):
            raise ValidationError(
                f"{validator} is not drawn to score any submission of {task.address}; the evaluation set "
                f"is handed only to drawn validators"
            )
        return self._eval_blob

    def create(self, config: ArenaConfig) -> ArenaTaskClient:
        """Publish, then create the task with this spec's and evaluation set's hashes.

        `config.spec_hash` / `eval_set_hash` are overwritten. The creator qualifies by
        `config.creator_stake` (or its on-chain record, or the allow-list)."""
        spec_digest, eval_digest = self.publish()
        cfg = replace(config, spec_hash=spec_digest, eval_set_hash=eval_digest)
        if not self.factory.qualifies_as_creator(self.address, cfg.creator_stake):
            raise ConfigError(
                f"{self.address} does not qualify as an arena creator: stake at least "
                f"{self.factory.arena_creator_stake()} (creator_stake), finish a task first, or join the allow-list"
            )
        self.task = self.factory.create_arena_task(cfg, self.account)
        return self.task

    def _require_task(self) -> ArenaTaskClient:
        if self.task is None:
            raise ConfigError("the creator has not created its arena task yet; call create() first")
        return self.task

    def step(self) -> str:
        """Draw and finalize when due (anyone may; the creator does it so nothing stalls)."""
        return drive_public(self._require_task(), self.account, self.on_tx)

    def derive_alliance(self, config: AllianceConfig) -> AllianceTaskClient:
        """Spawn the Alliance task from the winner's model (pool = the alliance reserve)."""
        task = self._require_task()
        cfg = replace(config, spec_hash=bytes(self.spec.spec_digest()))
        self.alliance = task.derive_alliance(cfg, self.account)
        return self.alliance

    def withdraw(self) -> int:
        """Withdraw the creator stake plus refunds; return what arrived."""
        task = self._require_task()
        before = task.token.balance_of(self.address)
        self._tx("withdraw", task.withdraw(self.account))
        self.withdrawn = True
        return int(task.token.balance_of(self.address)) - int(before)

    def metric_of(self, model_hash: bytes) -> float:
        """The creator's own measurement of a model on its evaluation set, in [0, 1] (for reports)."""
        state = fetch_model(self.store, model_hash, self.spec)
        return score_state(self.spec, state, self.eval_set) / ARENA_SCORE_SCALE
