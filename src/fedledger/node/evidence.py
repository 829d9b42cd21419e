"""The measurements a voter's rule reads about one round's updates, computed lazily and once.

A vote rule (`fedledger.node.voting.decide`) asks questions about subsets of the round's
valid updates: the local metrics of their FedAvg, each member's cosine to the subset's median
delta, to the previous global step, to the public reference step. Which questions it asks
depends on the answers (a rejected update leaves the later subsets), and several are costly
(a FedAvg, an evaluation, a reference training run), so `RoundEvidence` answers each on
demand and keeps what every later question can reuse: the flat deltas, the FedAvg per
subset, the previous global step, the reference step and the public class directions.

Everything except `subset_metrics` is computed from public data only (the updates, the
global models, the spec's public validation set), so every honest voter gets the same values.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from fedledger.learning.data import Dataset
from fedledger.learning.features import (
    against_own_class,
    class_directions,
    known_classes,
    output_layer_view,
    own_class_pull_share,
    reads_learned_features,
)
from fedledger.learning.similarity import cosine, flat64, median_cosines, norm, step_cosines
from fedledger.node.learner import Learner, fedavg, train_state
from fedledger.node.seeds import reference_seed
from fedledger.node.voting import ReferenceView, StepView

Subset = tuple[int, ...]


@dataclass(frozen=True)
class _ReferenceStep:
    """The public reference step of one round: the global model trained on the public set."""

    whole: np.ndarray
    """flat delta of the whole model"""
    head: np.ndarray
    """flat delta of the output-layer weight"""
    directions: np.ndarray | None
    """each class's unit direction in the output layer's input space, zero for a class the
    global model does not name reliably (None: the model's output layer reads raw inputs,
    where the check does not apply)"""
    known_share: float | None
    """share of the public set's classes the global model names reliably (None: not measured)"""
    all_directions: np.ndarray | None = None
    """like `directions`, for every class with public samples, known or not (the pull share)"""


class RoundEvidence:
    """Lazily computed, cached answers about round `round_index`'s valid updates.

    `valid` maps proposer index -> (state, numSamples) of every update that passed validation;
    `previous_global` returns the global model before the current one (None if there is
    none), fetched only if a screen asks for the previous step. Seconds spent aggregating and
    comparing are added to `timings["aggregate"]`, those spent on the public reference step
    (training and the class-feature pass) to `timings["reference"]`: that is the price of the
    public-set defence, which the overhead benchmark reports on its own.
    """

    def __init__(
        self,
        learner: Learner,
        round_index: int,
        global_state: Any,
        valid: Mapping[int, tuple[Any, int]],
        *,
        validation: Dataset | None,
        head_key: str,
        previous_global: Callable[[], Any | None],
        timings: MutableMapping[str, float],
        known_class_min: float,
        global_flat: np.ndarray | None = None,
        deltas: Mapping[int, np.ndarray] | None = None,
    ) -> None:
        self.learner = learner
        self.round_index = round_index
        self.global_state = global_state
        self.valid = valid
        self.validation = validation
        self.head_key = head_key
        self._previous_global = previous_global
        self._timings = timings
        self.known_class_min = known_class_min
        """a class's output row counts in the push only if the global model's precision for it
        on the public set is at least this (`VoteRule.known_class_min`)"""
        self._aggregates: dict[Subset, Any] = {}
        self._deltas: dict[int, np.ndarray] = dict(deltas) if deltas is not None else {}
        """proposer index -> flatten(update) - flatten(global); given by a caller that built them
        while validating (`Learner.validate_delta`), else computed on first use"""
        self._previous_step: tuple[np.ndarray | None] | None = None
        self._reference: _ReferenceStep | None = None
        self._global_flat: np.ndarray | None = global_flat

    def _flat_global(self) -> np.ndarray:
        """The global model as one float64 vector (1M parameters: 8 MB, so built once)."""
        if self._global_flat is None:
            self._global_flat = self.learner.flatten(self.global_state)
        return self._global_flat

    def _delta_to(self, state: Any) -> np.ndarray:
        """flatten(state) - global, subtracted in place: the same bits as the expression
        without a second model-sized array (8 MB for the reference CNN) per delta."""
        flat = self.learner.flatten(state)
        flat -= self._flat_global()
        return flat

    def _timed(self, start: float, part: str = "aggregate") -> None:
        self._timings[part] = self._timings.get(part, 0.0) + time.perf_counter() - start

    def aggregate(self, subset: Subset) -> Any:
        """The deterministic FedAvg of the subset's updates, weighted by their sample counts."""
        if subset not in self._aggregates:
            start = time.perf_counter()
            self._aggregates[subset] = fedavg([self.valid[i][0] for i in subset], [self.valid[i][1] for i in subset])
            self._timed(start)
        return self._aggregates[subset]

    def subset_metrics(self, subset: Subset) -> tuple[float, float]:
        """(accuracy, loss) of the subset's FedAvg on this voter's local test split."""
        return self.learner.metrics(self.aggregate(subset), key=b"agg:%d:" % self.round_index + repr(subset).encode())

    def _deltas_of(self, subset: Subset) -> dict[int, np.ndarray]:
        for i in subset:
            if i not in self._deltas:
                self._deltas[i] = self._delta_to(self.valid[i][0])
        return {i: self._deltas[i] for i in subset}

    def direction(self, subset: Subset) -> dict[int, float]:
        """Each member's cosine to the subset's coordinate-wise median delta."""
        start = time.perf_counter()
        cosines = median_cosines(self._deltas_of(subset))
        self._timed(start)
        return cosines

    def previous_step(self, subset: Subset) -> StepView | None:
        """How the members' deltas relate to the previous global step (None: there is none)."""
        if self._previous_step is None:
            prev = self._previous_global()
            step = None
            if prev is not None:  # global - prev as -(prev - global): equal values, bit for bit
                # but the sign of an exact zero, which no dot product below can tell apart
                step = self._delta_to(prev)
                np.negative(step, out=step)
            self._previous_step = (step,)
        step = self._previous_step[0]
        if step is None:
            return None
        start = time.perf_counter()
        cosines, median_cosine = step_cosines(self._deltas_of(subset), step)
        self._timed(start)
        return StepView(cosines, median_cosine, norm(step))

    def _reference_step(self) -> _ReferenceStep:
        """Train the global model on the public set with the round's reference seed and rate:
        one step every honest voter computes identically (FLTrust's server update)."""
        if self._reference is None:
            assert self.validation is not None, "the spec publishes no validation set"
            start = time.perf_counter()
            spec, global_state, head = self.learner.spec, self.global_state, self.head_key
            trained = train_state(spec, global_state, self.validation, reference_seed(spec.seed, self.round_index), self.round_index)
            directions, all_directions, known_share = None, None, None
            if reads_learned_features(global_state, head):
                public = self.validation
                seen = output_layer_view(spec, global_state, public, head)
                known = known_classes(seen.predicted, public.y, public.num_classes, self.known_class_min)
                all_directions = class_directions(seen.inputs, public.y, public.num_classes)
                directions = np.where(known[:, None], all_directions, 0.0)  # the push counts known classes only
                present = int(np.unique(public.y).size)
                known_share = float(known.sum()) / present if present else None
            self._reference = _ReferenceStep(
                whole=self._delta_to(trained),
                head=flat64(trained[head]) - flat64(global_state[head]),
                directions=directions,
                known_share=known_share,
                all_directions=all_directions,
            )
            self._timed(start, "reference")
        return self._reference

    def reference(self, subset: Subset) -> ReferenceView:
        """The members' deltas against the public reference step (`ReferenceView`)."""
        ref = self._reference_step()
        start = time.perf_counter()
        deltas = self._deltas_of(subset)
        head = self.head_key
        base = flat64(self.global_state[head])
        shape = tuple(self.global_state[head].shape)
        head_deltas = {i: flat64(self.valid[i][0][head]) - base for i in subset}
        view = ReferenceView(
            output_layer={i: cosine(head_deltas[i], ref.head) for i in subset},
            whole_model={i: cosine(deltas[i], ref.whole) for i in subset},
            step_norm=norm(ref.whole),
            against_class=(
                {i: against_own_class(head_deltas[i].reshape(shape), ref.directions) for i in subset}
                if ref.directions is not None
                else {}
            ),
            own_pull_share=(
                {i: share for i in subset
                 if (share := own_class_pull_share(head_deltas[i].reshape(shape), ref.all_directions)) is not None}
                if ref.all_directions is not None
                else {}
            ),
            head_moves={i: norm(d) for i, d in head_deltas.items()},
            head_step_norm=norm(ref.head),
            known_share=ref.known_share,
        )
        self._timed(start)
        return view
