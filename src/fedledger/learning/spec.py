"""The task spec: the training logic every participant of a task agrees on.

A task's `specHash` on-chain is `spec_digest()`: the sha-256 of the spec's canonical JSON
(sorted keys, no whitespace, UTF-8). Two parties that hold equal specs therefore compute
the same 32 bytes, and a participant who fetches the spec from storage can check it
against the chain before training on it.

This module imports no torch on purpose: the API and CLI validate and display specs
without loading the learning engine.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, model_validator

from fedledger.core.errors import ValidationError
from fedledger.core.types import Digest32, as_digest

KwargValue = int | float | str | bool | None | list[int] | list[float] | list[str]
"""Model kwargs are plain JSON scalars or lists, so the canonical JSON is unambiguous."""


class _Strict(BaseModel):
    """Base of every spec section: unknown fields are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelSpec(_Strict):
    """Which registered model to build (see `fedledger.learning.models`) and its kwargs."""

    name: str = Field(min_length=1, max_length=64, description="Name in the model registry.")
    kwargs: dict[str, KwargValue] = Field(
        default_factory=dict, description="Keyword arguments passed to the model factory."
    )


class DatasetSpec(_Strict):
    """The data schema every participant's local data must follow.

    `input_shape` is the per-sample shape the model sees (e.g. `[1, 28, 28]`); its product
    must equal `num_features`, the length of each flat feature row as stored.
    """

    name: str = Field(
        min_length=1,
        max_length=64,
        description="Data source: a bundled set (digits, digits28, breast_cancer, wine), "
        "'synthetic', or a file format ('csv', 'npz') for participant-supplied data.",
    )
    num_features: int = Field(ge=1, le=10_000_000)
    num_classes: int = Field(ge=2, le=100_000)
    input_shape: tuple[int, ...] = Field(min_length=1, max_length=4)
    label_column: str = Field(default="label", min_length=1, description="CSV label column.")
    num_samples: int | None = Field(
        default=None, ge=1, description="Sample count for the 'synthetic' generator."
    )

    @model_validator(mode="after")
    def _shape_matches_features(self) -> DatasetSpec:
        product = 1
        for dim in self.input_shape:
            if dim < 1:
                raise ValueError(f"input_shape dimensions must be >= 1, got {list(self.input_shape)}")
            product *= dim
        if product != self.num_features:
            raise ValueError(
                f"input_shape {list(self.input_shape)} has {product} elements but "
                f"num_features is {self.num_features}; they must match"
            )
        return self


class OptimizerSpec(_Strict):
    """Local optimiser; each round starts it afresh (FedAvg clients keep no optimiser state)."""

    name: Literal["sgd", "adam"] = "adam"
    momentum: float = Field(default=0.0, ge=0.0, lt=1.0, description="SGD momentum.")
    weight_decay: float = Field(default=0.0, ge=0.0, lt=1.0)


class LearningRateSchedule(_Strict):
    """How the local learning rate falls over the task's rounds (the same for every client
    in a round, so the global model still moves by the FedAvg of equal-rate steps).

    Why: with non-IID clients and a constant rate the global model keeps jumping between the
    proposers' local optima, and its final-round accuracy depends on which few clients the
    last rounds drew (Li et al., "On the convergence of FedAvg on non-IID data", ICLR 2020,
    need a decaying rate). Measured on digits (MLP, Adam 5e-3, 10 nodes, alpha 0.5, 5 of 10
    proposers per round, 20 rounds, 9 seeds x 3 ways): losing 3 of the 10 clients cost 2.3
    points on average (max 12.3) at a constant rate, 1.3 (max 6.4) with a cosine decay to 0.1
    of the rate and 1.0 (max 3.9) to 0 (where the voters' reference cosines stop meaning much,
    see `node.voting`).
    """

    kind: Literal["constant", "cosine"] = "constant"
    rounds: int = Field(default=1, ge=1, le=1_000_000, description="Rounds the cosine spans; later rounds stay at its end.")
    final_factor: float = Field(default=0.0, ge=0.0, le=1.0, description="Rate at the end of the cosine, as a share of learning_rate.")

    def factor(self, round_index: int) -> float:
        """The share of `learning_rate` used in round `round_index` (0-based)."""
        if self.kind == "constant" or self.rounds <= 1:
            return 1.0
        progress = min(max(round_index, 0), self.rounds) / self.rounds
        return self.final_factor + (1.0 - self.final_factor) * 0.5 * (1.0 + math.cos(math.pi * progress))


class ValidationSetSpec(_Strict):
    """A small public validation set the task creator publishes with the spec.

    Why: a voter that scores updates on its own private data sees a different, strongly
    non-IID sample than every other voter, so data-dependent verdicts differ between honest
    voters and the minority among them gets slashed. Updates whose harm shows only on data
    (label flipping) need a signal every honest voter measures identically: the same public
    samples, fetched by their hash (FLTrust's "root dataset", Cao et al., NDSS 2021). The
    blob is safetensors with `x` (float32, samples x num_features) and `y` (int64 labels).
    """

    hash: str = Field(
        pattern=r"^0x[0-9a-f]{64}$",
        description="0x-prefixed sha-256 of the safetensors blob (its CID's digest).",
    )
    num_samples: int = Field(ge=1, le=1_000_000, description="Number of samples in the blob.")


class TaskSpec(_Strict):
    """Everything a participant needs to train, evaluate and check updates for a task."""

    schema_version: Literal[1] = 1
    model: ModelSpec
    dataset: DatasetSpec
    metric: Literal["accuracy", "loss"] = "accuracy"
    local_epochs: int = Field(default=1, ge=1, le=1000)
    batch_size: int = Field(default=32, ge=1, le=1_000_000)
    learning_rate: float = Field(default=1e-3, gt=0.0, le=10.0)
    optimizer: OptimizerSpec = Field(default_factory=OptimizerSpec)
    learning_rate_schedule: LearningRateSchedule = Field(default_factory=LearningRateSchedule)
    seed: int = Field(default=0, ge=0, lt=2**63)
    max_blob_bytes: int = Field(
        default=64 * 1024 * 1024, ge=1, description="Largest update blob a node accepts."
    )
    max_update_norm: float | None = Field(
        default=None,
        gt=0.0,
        description="Bound on the L2 norm of (proposed update - global model); None = no bound.",
    )
    validation: ValidationSetSpec | None = Field(
        default=None,
        description="Public validation set every voter also scores candidate aggregates on; None = none.",
    )

    def learning_rate_at(self, round_index: int) -> float:
        """The local learning rate of round `round_index` under the spec's schedule."""
        return self.learning_rate * self.learning_rate_schedule.factor(round_index)

    # ------------------------------------------------------------------ serialisation
    def canonical_json(self) -> bytes:
        """Sorted keys, no whitespace, UTF-8: the exact bytes that get hashed."""
        data = self.model_dump(mode="json")
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        return text.encode("utf-8")

    def spec_digest(self) -> Digest32:
        """sha-256 of `canonical_json()`: the task's on-chain `specHash`."""
        return as_digest(hashlib.sha256(self.canonical_json()).digest())

    @classmethod
    def from_json(cls, data: bytes | str) -> TaskSpec:
        """Parse and validate a spec; every failure names the field(s) at fault."""
        try:
            return cls.model_validate_json(data)
        except pydantic.ValidationError as exc:
            raise ValidationError(_describe(exc)) from None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaskSpec:
        """Validate a spec given as a Python mapping (same errors as `from_json`)."""
        try:
            return cls.model_validate(data)
        except pydantic.ValidationError as exc:
            raise ValidationError(_describe(exc)) from None

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The JSON schema of a spec, for tools and for documentation."""
        return cls.model_json_schema()


def _describe(exc: pydantic.ValidationError) -> str:
    """Turn pydantic's errors into one message naming each failing field by its dotted path."""
    parts = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "<spec>"
        parts.append(f"{loc}: {err['msg']}")
    return f"invalid task spec ({len(parts)} error(s)): " + "; ".join(parts)
