"""Off-chain roles of an Arena (competition) task: trainer, validator and creator.

Each role is a small agent driven by `step()`, like the Alliance `Participant`: it reads the
chain (the source of truth), performs the one action that is due for it now and returns a short
description ("idle" when nothing is due). The embedded simulation (`fedledger.sim.arena`) steps
them round-robin; a long-running process would call `step()` in a loop.

Rules: docs/arena-protocol.md. Artefacts (spec, evaluation set, models) travel through
content-addressed storage; only their sha-256 digests are on-chain, and every role checks what it
fetches against them (`artifacts`).
"""

from fedledger.node.arena.artifacts import (
    decode_eval_set,
    encode_eval_set,
    fetch_eval_set,
    fetch_model,
    fetch_spec,
    score_state,
)
from fedledger.node.arena.behaviours import VALIDATOR_BEHAVIOURS, ValidatorBehaviour, make_validator_behaviour
from fedledger.node.arena.creator import ArenaCreator, drive_public
from fedledger.node.arena.trainer import ArenaTrainer
from fedledger.node.arena.validator import ArenaValidator

__all__ = [
    "VALIDATOR_BEHAVIOURS",
    "ArenaCreator",
    "ArenaTrainer",
    "ArenaValidator",
    "ValidatorBehaviour",
    "decode_eval_set",
    "drive_public",
    "encode_eval_set",
    "fetch_eval_set",
    "fetch_model",
    "fetch_spec",
    "make_validator_behaviour",
    "score_state",
]
