"""The participant's view of the learning engine: its private data, split once, plus the
model operations a round needs. One adapter so `participant.py` stays about the protocol.

It never imports torch: model states are opaque values from `fedledger.learning`, and the
two element-wise operations attacks need (`combine`, `noise_like`) use only the tensor
methods every state value has.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from fedledger.learning import aggregate as _agg
from fedledger.learning import train as _train
from fedledger.learning.data import Dataset
from fedledger.learning.partition import train_test_split
from fedledger.learning.spec import TaskSpec
from fedledger.learning.updates import bytes_to_state, state_to_bytes, validate_update, validated_delta
from fedledger.node.seeds import split_seed, train_seed

State = Mapping[str, Any]

DEFAULT_TEST_FRACTION = 0.2


def split_local_data(data: Dataset, address: str, test_fraction: float = DEFAULT_TEST_FRACTION) -> tuple[Dataset, Dataset]:
    """A participant's private (train, test) split, seeded by its address (reproducible)."""
    train_idx, test_idx = train_test_split(np.arange(len(data)), test_fraction, split_seed(address))
    return data.subset(train_idx), data.subset(test_idx)


def _flat_view(value: Any) -> np.ndarray:
    """A flat numpy view of a tensor or array (a float64 copy only where numpy lacks the dtype)."""
    if hasattr(value, "detach"):
        t = value.detach().reshape(-1)
        try:
            return t.numpy()
        except TypeError:  # bfloat16 and other dtypes numpy has no type for
            return t.double().numpy()
    return np.asarray(value).reshape(-1)


def initial_state(spec: TaskSpec) -> dict[str, Any]:
    """The freshly initialised global model every participant can rebuild from the spec."""
    return _train.initial_state(spec)


def train_state(spec: TaskSpec, state: State, data: Dataset, seed: int, round_index: int) -> dict[str, Any]:
    """Local training of `state` on `data` in round `round_index` exactly as the spec says
    (shared with the baseline)."""
    return _train.train_local(state, spec, data, seed, round_index)[0]


def accuracy(spec: TaskSpec, state: State, data: Dataset) -> float:
    """Accuracy of `state` on `data`."""
    return float(_train.evaluate(state, spec, data)["accuracy"])


def fedavg(states: list[State], weights: list[int]) -> dict[str, Any]:
    """Deterministic FedAvg (fixed order, float64 accumulation): byte-identical everywhere."""
    return _agg.fedavg(states, weights)


class Learner:
    """One participant's data and model operations for one task."""

    def __init__(self, spec: TaskSpec, data: Dataset, address: str, test_fraction: float = DEFAULT_TEST_FRACTION) -> None:
        data.check_schema(spec.dataset)
        self.spec = spec
        self.address = address
        self.train_data, self.test_data = split_local_data(data, address, test_fraction)
        self.eval_data = data
        """What a voter scores updates on: all its local data. Other proposers' updates never
        saw any of it, and more samples mean less noise between honest voters' verdicts."""
        self.train_seconds = 0.0
        self.eval_seconds = 0.0
        self._acc_cache: dict[bytes, float] = {}
        self._metric_cache: dict[bytes, tuple[float, float]] = {}

    @property
    def num_samples(self) -> int:
        return len(self.train_data)

    def initial_state(self) -> dict[str, Any]:
        return initial_state(self.spec)

    def train(self, state: State, round_index: int, flip_labels: bool = False) -> dict[str, Any]:
        data = self.train_data
        if flip_labels:
            data = Dataset(data.x, (data.num_classes - 1 - data.y), data.num_classes, data.input_shape)
        start = time.perf_counter()
        try:
            return train_state(self.spec, state, data, train_seed(self.spec.seed, round_index, self.address), round_index)
        finally:
            self.train_seconds += time.perf_counter() - start

    def accuracy(self, state: State, key: bytes | None = None) -> float:
        """Local-test accuracy, cached by `key` (a model digest) so nothing is scored twice."""
        if key is not None and key in self._acc_cache:
            return self._acc_cache[key]
        acc = accuracy(self.spec, state, self.test_data)
        if key is not None:
            self._acc_cache[key] = acc
        return acc

    def metrics(self, state: State, key: bytes | None = None) -> tuple[float, float]:
        """(accuracy, mean cross-entropy) on `eval_data`, cached by `key` like `accuracy`."""
        if key is not None and key in self._metric_cache:
            return self._metric_cache[key]
        start = time.perf_counter()
        try:
            result = _train.evaluate(state, self.spec, self.eval_data)
        finally:
            self.eval_seconds += time.perf_counter() - start
        value = (float(result["accuracy"]), float(result["loss"]))
        if key is not None:
            self._metric_cache[key] = value
        return value

    # -- bytes and checks ------------------------------------------------------------------
    def to_bytes(self, state: State) -> bytes:
        return state_to_bytes(state)

    def from_bytes(self, blob: bytes) -> dict[str, Any]:
        return bytes_to_state(blob, max_bytes=self.spec.max_blob_bytes)

    def validate(self, update: State, reference: State) -> float:
        """Raise `UpdateValidationError` if malformed; return the L2 distance to `reference`."""
        return validate_update(update, reference, self.spec.max_update_norm)

    def validate_delta(self, update: State, reference: State, reference_flat: np.ndarray) -> tuple[float, np.ndarray]:
        """`validate`, also returning `flatten(update) - reference_flat` (see `validated_delta`)."""
        return validated_delta(update, reference, reference_flat, self.spec.max_update_norm)

    @staticmethod
    def flatten(state: State) -> np.ndarray:
        """All tensors of `state` as one float64 vector, in sorted-key order.

        One output array, each tensor widened straight into its slice: no per-tensor float64
        temporaries plus a concatenation, which doubled the freshly touched memory (on the
        reference VM first-touch page faults cost more than the copy itself).
        """
        flats = [_flat_view(state[k]) for k in sorted(state)]
        out = np.empty(sum(f.size for f in flats), dtype=np.float64)
        offset = 0
        for f in flats:
            out[offset : offset + f.size] = f
            offset += f.size
        return out

    @staticmethod
    def norm(state: State) -> float:
        """L2 norm of all tensors together, accumulated in float64.

        einsum widens block by block inside its own loop, so no float64 copy of the model is
        made (the copies, freshly faulted in, were 10 ms of an 11 ms call for 1M parameters).
        """
        total = 0.0
        for key in sorted(state):
            f = _flat_view(state[key])
            total += float(np.einsum("i,i->", f, f, dtype=np.float64))
        return float(np.sqrt(total))

    # -- primitives for attack behaviours ------------------------------------------------------
    @staticmethod
    def combine(base: State, other: State, coef: float) -> dict[str, Any]:
        return {k: (base[k] + coef * (other[k] - base[k])).to(base[k].dtype) for k in base}

    def noise_like(self, state: State, scale: float, seed: int) -> dict[str, Any]:
        rng = np.random.default_rng(seed)
        return {
            k: v.new_tensor(rng.standard_normal(tuple(v.shape)).astype(np.float32) * scale).to(v.dtype)
            for k, v in state.items()
        }
