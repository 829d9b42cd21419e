"""What a model's output layer sees, and how an update's output rows relate to the classes.

Used by the voter's public-reference check (`fedledger.node.voting`, step 6): a label-flipping
proposer trains on ``(x of class a, label b)``; for every sample the global model already
classifies well, the cross-entropy gradient pushes output row ``a`` *away* from the features of
class ``a`` with almost full force (``p_a ≈ 1``) and pulls row ``b`` toward them. Honest training
pushes a row toward its own class's features, and pushes a row it does not hold away from the
features of the classes it holds, weighted by how often the model confused them (small once
the model is good). Projecting each row's change onto its own class's public feature direction
therefore separates the two, without knowing which classes a proposer holds.

Every number here is computed from the public global model and the spec's public validation
set only, so every honest voter gets the same values. float64 and einsum (not BLAS) so the
result does not depend on a voter's thread count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from fedledger.learning.data import Dataset
from fedledger.learning.spec import TaskSpec
from fedledger.learning.train import configure_threads, load_model


@dataclass(frozen=True)
class OutputLayerView:
    """What a model's output layer sees and says on a data set, one row per sample."""

    inputs: np.ndarray
    """the inputs of the output layer, float64, shape (samples, in_features)"""
    predicted: np.ndarray
    """the model's predicted class, shape (samples,)"""


def output_layer_view(spec: TaskSpec, state: Mapping[str, Any], data: Dataset, head_key: str) -> OutputLayerView:
    """One inference pass of `state` over `data`: the inputs the output layer (the module
    owning parameter `head_key`) receives for every sample, and the predicted classes."""
    configure_threads()
    model = load_model(spec, state)
    model.eval()
    module_name = head_key.rsplit(".", 1)[0] if "." in head_key else ""
    module = model.get_submodule(module_name)
    captured: list[np.ndarray] = []

    def hook(_module: Any, inputs: tuple[Any, ...], _output: Any) -> None:
        captured.append(inputs[0].detach().reshape(inputs[0].shape[0], -1).to(torch.float64).numpy().copy())

    handle = module.register_forward_hook(hook)
    try:
        with torch.inference_mode():
            logits = model(torch.from_numpy(np.ascontiguousarray(data.x)))
    finally:
        handle.remove()
    return OutputLayerView(np.concatenate(captured, axis=0), logits.argmax(dim=1).numpy())


def known_classes(predicted: np.ndarray, labels: np.ndarray, num_classes: int, min_precision: float) -> np.ndarray:
    """Which classes the model already names reliably: of the samples it assigns to class c,
    at least `min_precision` are c (a boolean mask of length `num_classes`; a class without
    samples, or one the model never names, is unknown; `min_precision <= 0` counts every
    class with samples).

    The push check rests on the model knowing a class: then a flipped label pushes that
    class's row off its features with nearly full force, while honest training moves a row
    against its class only as far as the model confuses classes. A model that names class c
    for samples of other classes (the first rounds after a pioneer trained on one client's few
    classes) is exactly that confusion, and honest updates then move row c off c's features
    too: at 20 nodes an honest round-1 update pushed 0.44 of its move, over the 0.35 cut.
    Precision, not recall: flipping a to b lowers a's recall and b's precision, never a's
    precision, so a flipper cannot take its own row (a) out of the check.
    """
    known = np.zeros(num_classes, dtype=bool)
    for c in range(num_classes):
        actual, claimed = labels == c, predicted == c
        if min_precision <= 0:
            known[c] = bool(actual.any())
        elif actual.any() and claimed.any():
            known[c] = float(np.mean(labels[claimed] == c)) >= min_precision
    return known


def reads_learned_features(state: Mapping[str, Any], head_key: str) -> bool:
    """Whether the output layer (the module owning `head_key`) reads features the model learned,
    i.e. the model has parameters outside that module. A linear model's "features" are the raw
    inputs, where the class directions did not separate label flipping from honest non-IID
    training (synthetic logistic regression, 20 nodes: honest pushes up to 0.39, flipped ones
    from 0.15), so the class-push check only applies to models with a hidden representation."""
    module = head_key.rsplit(".", 1)[0] if "." in head_key else ""
    return any((key.rsplit(".", 1)[0] if "." in key else "") != module for key in state)


def class_directions(features: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Unit vectors ``(mu_c - mean_k mu_k) / ||.||`` per class, mu_c the mean feature of class c
    (shape (num_classes, in_features)); a class without samples, or whose centred mean is
    zero, gets a zero row (it then contributes nothing to a push or a pull). The centre is the
    mean of all present classes' means, not of the samples, so an unbalanced public set does
    not tilt the directions."""
    present = [c for c in range(num_classes) if np.any(labels == c)]
    out = np.zeros((num_classes, features.shape[1]), dtype=np.float64)
    if not present:
        return out
    means = {c: features[labels == c].mean(axis=0, dtype=np.float64) for c in present}
    centre = np.mean(np.stack([means[c] for c in present]), axis=0)
    for c in present:
        v = means[c] - centre
        n = float(np.sqrt(np.einsum("i,i->", v, v)))
        if n > 0:
            out[c] = v / n
    return out


def against_own_class(head_delta: np.ndarray, directions: np.ndarray) -> float:
    """Sum over output rows c of ``max(0, -<delta_c, direction_c>)``: how far an update moves
    its output rows *away* from their own class's features (same units as the delta). 0 when
    the head is not one row per class (then the check does not apply)."""
    if head_delta.ndim != 2 or head_delta.shape != directions.shape:
        return 0.0
    projections = np.einsum("ij,ij->i", np.asarray(head_delta, dtype=np.float64), directions)
    return float(np.clip(-projections, 0.0, None).sum())


def own_class_pull_share(head_delta: np.ndarray, directions: np.ndarray) -> float | None:
    """Of the pull an update gives its output rows toward class features, the share that goes to
    each row's own class: ``sum_c max(0, <delta_c, u_c>)`` over that plus
    ``sum_c max(0, max_{k != c} <delta_c, u_k>)`` (u_k: class k's unit direction).

    Honest training pulls the row of every class it holds toward that class's features; a
    label flipper trains on ``(x of class a, label b)`` and pulls row b toward a's features,
    another class's. The share tells the two apart where the whole-model cosine cannot: at a
    strong label skew an honest client with one or two classes also points away from a
    balanced reference (Dirichlet alpha 0.3: an honest round-1 update at cosine 0.14 whose
    share was 0.39, while label-flipped updates measured at most 0.33). None when the head is
    not one row per class, or nothing is pulled."""
    if head_delta.ndim != 2 or head_delta.shape != directions.shape:
        return None
    projections = np.einsum("ij,kj->ik", np.asarray(head_delta, dtype=np.float64), directions)
    own = float(np.clip(np.diagonal(projections), 0.0, None).sum())
    others = projections.copy()
    np.fill_diagonal(others, -np.inf)
    other = float(np.clip(others.max(axis=1), 0.0, None).sum())
    total = own + other
    return own / total if total > 0 else None
