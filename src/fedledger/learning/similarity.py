"""How model deltas relate to each other and to public references: the geometry a voter's
screens read (`fedledger.node.voting`, steps 4-6).

Every number here must come out bit-identical on every honest voter, whatever its thread
count, because honest voters have to agree on their verdicts: hence float64 and einsum (no
BLAS, whose blocking depends on threads; and no BLAS threads spinning against training),
and medians from `fedledger.learning.aggregate.median_alignment`'s one blocked pass rather
than a (k x N) stack.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fedledger.learning.aggregate import median_alignment


def flat64(tensor: Any) -> np.ndarray:
    """A tensor or array as a flat float64 vector."""
    return np.asarray(tensor, dtype=np.float64).ravel()


def norm(a: Any) -> float:
    """L2 norm of a flat vector."""
    return float(np.sqrt(np.einsum("i,i->", a, a)))


def cosine(a: Any, b: Any) -> float:
    """Cosine of two flat vectors; 0 if either is zero."""
    aa, bb = float(np.einsum("i,i->", a, a)), float(np.einsum("i,i->", b, b))
    return float(np.einsum("i,i->", a, b)) / float(np.sqrt(aa * bb)) if aa > 0 and bb > 0 else 0.0


def _ratio(dot: float, sq_a: float, sq_b: float) -> float:
    norm_a, norm_b = float(np.sqrt(sq_a)), float(np.sqrt(sq_b))
    return float(dot / (norm_a * norm_b)) if norm_a > 0 and norm_b > 0 else 0.0


def median_cosines(deltas: Mapping[int, Any]) -> dict[int, float]:
    """Cosine of each flat delta to the coordinate-wise median of all of them (a zero vector
    has cosine 0 with anything). The median is the one direction a minority of the deltas
    cannot move far, which is what makes this a screen."""
    keys = sorted(deltas)
    al = median_alignment([deltas[i] for i in keys])
    return {i: _ratio(al.row_median[j], al.row_sq[j], al.median_sq) for j, i in enumerate(keys)}


def step_cosines(deltas: Mapping[int, Any], step: Any) -> tuple[dict[int, float], float]:
    """Cosine of each flat delta, and of their coordinate-wise median, to the previous global
    step (global_r - global_{r-1}).

    That step was decided by the previous round's stake majority and is public, so it is a
    reference the current round's proposers cannot move, whatever share of them are attackers.
    """
    keys = sorted(deltas)
    al = median_alignment([deltas[i] for i in keys], step)
    assert al.row_ref is not None and al.median_ref is not None and al.ref_sq is not None
    cosines = {i: _ratio(al.row_ref[j], al.row_sq[j], al.ref_sq) for j, i in enumerate(keys)}
    return cosines, _ratio(al.median_ref, al.median_sq, al.ref_sq)
