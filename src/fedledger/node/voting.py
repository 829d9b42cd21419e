"""The voter's decision rule, as a pure function over measurements (no I/O, no torch).

Why the rule looks like this: a voter that ends up outside the stake majority is slashed
(`voterSlashBps`), and the majority must agree on the *exact* accept bitmap and aggregate
hash. Honest voters therefore have to reach the *same* verdicts, although each one holds only
a small, strongly non-IID local data set. A verdict that depends on a voter's own data
(accuracy on its local classes) differs between honest voters, so the rule decides on
**objective** measurements first (the same numbers on every honest voter: they are computed
from the public updates and the public global model only), and lets local data reject only
when the objective screen already marks the update as suspicious *and* the local harm is far
beyond anything an honest non-IID update does.

Per submitted update, in order (the first that applies decides):

1. **Invalid**: missing, hash mismatch, malformed (wrong keys, shapes, dtypes, non-finite
   values, over the spec's norm cap): reject.
2. **Free-rider** (not in a pioneering round): the update moved the model by less than
   `free_rider_tol` relative to ``||global||``, or by less than `min_move_factor` times the
   lower median of the round's moves: it returned the global model (nearly) unchanged.
3. **Magnitude outlier**: it moves the model by more than `norm_factor` times the lower
   median of the valid candidates' moves (noise, boosted sign-flip). The lower median stays
   honest while fewer than half of the candidates are outliers, also with two proposers.
4. **Direction outlier** (three or more candidates left): the cosine between its delta
   (update − global) and the coordinate-wise median delta of the remaining candidates is
   below ``max(cos_min, cos_rel * lower median of those cosines)``: it pulls against, or far
   less along, the round's consensus direction than the others (sign-flip, noise, many
   label-flip updates). Relative, because how well honest deltas agree depends on the task
   and the skew: measured lowest honest cosine / median cosine was >= 0.52 on digits (MLP,
   10 nodes, alpha 0.5) and >= 0.57 at 60 nodes (logreg, synthetic), while an absolute
   cut at 0.3 rejected honest updates at scale. At most a minority is ever rejected here.
5. **Harmful and off-direction** (optional, `local_check`; three or more candidates left): with S
   the candidates left and A(·) their FedAvg, reject `i` only if its cosine is below the
   median cosine of S (an objective lag) and leaving it out lowers the voter's local loss of
   the aggregate by more than `loo_loss_tol` (relative) *and* raises its local accuracy by
   more than `loo_acc_tol`. Label-flip updates do this on the data they poison; honest
   non-IID updates, measured with these margins, do not.

6. **Against the public reference** (when the spec publishes a validation set; also in a
   pioneering round, and before steps 2-5): every voter trains the current global model on
   the public set with the same seed and the round's learning rate, which gives one
   reference step every honest voter computes identically (FLTrust's "server update", Cao et
   al., NDSS 2021). Because the reference does not depend on the proposers, this step holds
   whatever share of them attack. Outside a pioneering round an update is rejected when
   - the mean of its cosines to the reference step on the output layer and on the whole
     model is below `ref_cos_min` (-0.5): a guard against reversed updates only. Once the
     model converges and the learning rate decays, an update is close to one non-IID
     client's gradient, and that can point away from the gradient on 150 public samples:
     honest updates reached -0.43;
   - that mean is negative and the update moves the model more than `ref_move_factor` (2)
     times the round's typical move (honest ones below 0 moved at most 1.59x);
   - it **pushes its output rows away from their own classes' public features**
     (`learning.features`): per class c the unit direction of c's mean output-layer input
     under the global model on the public set, centred on the mean of the class means; the
     push is the sum over rows of the negative parts of each row delta's projection onto its
     own class's direction. A flipper trains on (x of class a, label b); wherever the global
     model already knows a, the gradient pushes row a off a's features with nearly full
     force, while honest training pulls a row toward its own class and pushes rows it does
     not hold off its classes' features only as far as the model confuses them. Rejected
     above `own_class_push_max` (0.35) times the update's own output-layer move (scale-free:
     honest <= 0.24 in every round, label flips from round 3 on >= 0.46), or above
     `class_push_max` (0.6) times a typical output-layer move (the lower median of the
     round's, capped by the reference step's), so a flipper cannot dilute its own ratio by
     moving other rows a lot (honest <= 0.40, flips >= 0.44). With a negative mean cosine
     the own-move bar is `neg_own_class_push_max` (0.25): the 45 honest updates below 0 had
     <= 0.23, while at 20 nodes, where the model learns slower and a flip pushes less, most
     flipped updates sat below 0 with pushes of 0.3-0.66. Only the rows of classes the
     global model already names reliably count (precision on the public set at least
     `known_class_min`, 0.5): where it confuses other classes with one, honest training
     moves that row off the class's features too (at 20 nodes an honest round-1 update
     right after the pioneer pushed 0.44 of its move and was slashed; counting reliably
     named classes only, the most any of 179 honest round-1/2 updates pushed was 0.20, at
     10 and 20 nodes). So in rounds 1-2, where the model names 2.5 classes reliably on
     average, the push misses most flips; they are caught once it knows the flipped class. The
     push is only measured when the output layer reads features the model learned
     (`learning.features.reads_learned_features`): on logistic regression honest pushes
     reached 0.39 and flips started at 0.15;
   - while the global model names fewer than `early_known_share` (half) of the classes
     reliably, its whole-model cosine to the reference is below `early_ref_cos_min` (0.15):
     such a model is still close to its start, where (as for a pioneer) every honest update
     shares the reference's generic direction. This is what catches the flips the class push
     cannot see yet; without it, flips that began early kept the model from learning the
     classes, and so from ever being judged by their push (20 nodes, 30 % flippers voting
     honestly, seed 1: every flipped update accepted for 17 rounds, 0.78 final accuracy vs
     0.94 clean). Measured, 10 and 20 nodes, seeds 0-4, with fewer than 5 of 10 classes
     named: honest >= 0.18, flipped <= 0.17 (median -0.02); with 5 named an honest update
     went down to 0.06, so the bar lifts at half. An update under the bar is still kept if
     at least `early_own_pull_min` (0.35) of the pull on its output rows toward class
     features goes to each row's own class (`learning.features.own_class_pull_share`, over
     every class's public direction): at a stronger skew (Dirichlet alpha 0.3, 10 nodes,
     seed 2) an honest round-1 update held mostly one class and fell to cosine 0.14, and was
     slashed; its share was 0.39, while the 60 label-flipped updates measured in young rounds
     (alpha 0.5 and 0.3) had at most 0.33 (a flipper pulls the target row toward another
     class's features).
   The reference step's length is a move size no proposer can inflate, so it also caps the
   "typical move" of this rule and of step 3 (honest moves 0.42-1.16x it, Gaussian noise
   17-31x): without the cap a round whose proposers were mostly noise owned the median.
   A pioneer trains from the random initial model, where every update shares a large
   generic component on the output layer; there the whole model's cosine separates (46
   pioneers: honest >= 0.23, label-flipped <= 0.11), so a pioneer needs
   `pioneer_ref_cos_min`. Measurements (digits MLP, 10 nodes, alpha 0.5, Adam with the
   simulator's decaying rate) and the history of each constant: docs/alliance-protocol.md.

Everything else is accepted. In a pioneering round there is no global model and a single
proposer, so steps 2-5 do not apply; the one objective reference is the spec's initial model,
which every voter rebuilds identically: a pioneer update is rejected when it moved more than
`pioneer_factor` times ``||initial model||`` away from it, or (a free-rider) not at all. Measured honest moves were
0.05-1.2x (digits MLP, 5 epochs: up to 1.2; CNN 0.46; logreg 0.08), Gaussian-noise models
9-85x, a 10x sign-flip 12x (MLP) and 4.6x (CNN).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

SubsetMetrics = Callable[[tuple[int, ...]], tuple[float, float]]
"""(accuracy, mean loss) on the voter's local data of the FedAvg of the given proposer
indices (sorted tuple)."""

PreviousStep = Callable[[tuple[int, ...]], "StepView | None"]
"""For a sorted tuple of proposer indices: how their deltas relate to the previous global
step (global_r - global_{r-1}, public); None when there is no previous step."""

Direction = Callable[[tuple[int, ...]], Mapping[int, float]]
"""For a sorted tuple of proposer indices: each member's cosine between its delta and the
coordinate-wise median delta of the tuple (objective: the same on every voter)."""


Reference = Callable[[tuple[int, ...]], "ReferenceView"]
"""For a sorted tuple of proposer indices: their cosines to the public reference step
(objective: every voter trains the same reference on the same public data)."""


@dataclass(frozen=True)
class ReferenceView:
    """Each update's cosine to the public reference step, two ways."""

    output_layer: Mapping[int, float]
    """delta of the output-layer weight vs the reference's"""
    whole_model: Mapping[int, float]
    """delta of the whole model (flattened) vs the reference's"""
    step_norm: float = 0.0
    """||reference step||: a move size no proposer can inflate (0: unknown)"""
    against_class: Mapping[int, float] = field(default_factory=dict)
    """sum over output rows c of max(0, -<row c's delta, unit direction of class c's public
    features>) (`fedledger.learning.features.against_own_class`); empty: not measured"""
    own_pull_share: Mapping[int, float] = field(default_factory=dict)
    """share of the pull on its output rows toward class features that goes to each row's own
    class (`fedledger.learning.features.own_class_pull_share`); empty: not measured"""
    head_moves: Mapping[int, float] = field(default_factory=dict)
    """||output-layer delta|| of each update"""
    head_step_norm: float = 0.0
    """||output-layer delta of the reference step|| (0: unknown)"""
    known_share: float | None = None
    """share of the classes the global model names reliably on the public set (precision at
    least `VoteRule.known_class_min`); None: not measured"""


@dataclass(frozen=True)
class StepView:
    """Cosines to the previous global step (objective: the same on every voter)."""

    cosines: Mapping[int, float]
    """each member's delta vs the previous global step"""
    median_cosine: float
    """the members' coordinate-wise median delta vs the previous global step"""
    step_norm: float
    """||global_r - global_{r-1}||"""


@dataclass(frozen=True)
class UpdateScore:
    """What a voter measured about one proposer's update."""

    index: int
    valid: bool
    distance: float | None = None
    """L2 distance to the current global model"""
    relative_distance: float | None = None
    """distance / ||global||"""
    reason: str = ""


@dataclass(frozen=True)
class VoteRule:
    """Tolerances of the decision rule (see the module docstring for each step)."""

    free_rider_tol: float = 1e-6
    min_move_factor: float = 0.05
    norm_factor: float = 4.0
    cos_min: float = 0.0
    cos_rel: float = 0.4
    local_check: bool = False
    """step 5 on/off. Off by default: measured on the digits task (10 nodes, alpha 0.5), the
    local-data check made honest voters disagree (and get slashed) more often than it caught
    label-flip updates the direction screen missed; see tests/node/test_voting.py."""
    loo_loss_tol: float = 0.25
    """relative drop of the aggregate's local loss when the update is left out"""
    loo_acc_tol: float = 0.10
    """rise of the aggregate's local accuracy when the update is left out"""
    ref_cos_min: float = -0.5
    """step 6: least mean of the output-layer and whole-model cosines to the public reference
    step: a guard against reversed updates only (with the learning rate decayed towards 0,
    honest updates reached -0.43; label flips are caught by their class push)"""
    ref_move_factor: float = 2.0
    """step 6: an update with a negative mean cosine that also moves the model more than this
    times the round's lower-median move is rejected too"""
    own_class_push_max: float = 0.35
    """step 6: most `ReferenceView.against_class` per the update's own output-layer move"""
    neg_own_class_push_max: float = 0.25
    """step 6: the same, for an update whose mean cosine to the reference step is negative"""
    class_push_max: float = 0.6
    """step 6: most `ReferenceView.against_class` per typical output-layer move (the lower
    median of the round's, capped by the reference step's): so a flipper cannot dilute its
    push under `own_class_push_max` by also moving other rows a lot"""
    known_class_min: float = 0.5
    """step 6: a class's output row counts in the push only once the global model's precision
    for that class on the public set is at least this (`learning.features.known_classes`)"""
    pioneer_ref_cos_min: float = 0.15
    """step 6 in a pioneering round: least whole-model cosine to the public reference step"""
    early_known_share: float = 0.5
    """step 6: while the global model names fewer than this share of the classes reliably, the
    round is judged like a pioneering one as well (`early_ref_cos_min`)"""
    early_ref_cos_min: float = 0.15
    """step 6 in such an early round: least whole-model cosine to the public reference step"""
    early_own_pull_min: float = 0.35
    """step 6 in such an early round: an update under `early_ref_cos_min` is still accepted
    when at least this share of the pull on its output rows goes to their own classes
    (`ReferenceView.own_pull_share`): a strongly skewed honest client, not a flipper"""
    pioneer_factor: float = 3.0
    min_candidates: int = 3
    """below this many candidates the median (of moves' directions) is not robust"""
    use_previous_step: bool = False
    """step 3b on/off: also judge directions against the previous global step. Off by default:
    measured (10 nodes, 5 rounds, seed 0, 3 label-flip attackers voting as a coalition), once a
    poisoned update was accepted the previous step pointed the poisoned way and honest updates
    were rejected (accuracy 0.019, 7 honest nodes slashed) vs 0.755 and none slashed without it."""
    step_cos_min: float = 0.0
    """with a previous global step: the round's median delta is trusted only if its cosine to
    that step is at least this; otherwise the attackers own the median and updates are judged
    against the previous step alone (reject below this cosine)"""
    step_cos_keep: float = 0.1
    """an update the median screen flags is still accepted if its cosine to the previous
    global step is at least this (it follows the direction the last majority chose)"""
    step_norm_factor: float = 3.0
    """the magnitude screens' reference move is at most this times ||previous global step||,
    so a majority of boosted or noisy updates cannot inflate it"""


@dataclass(frozen=True)
class Verdict:
    """Per-proposer decision plus a human-readable reason (for reports and logs)."""

    accept: dict[int, bool]
    reasons: dict[int, str] = field(default_factory=dict)

    @property
    def bitmap(self) -> int:
        """Bit `i` set iff proposer index `i` is accepted."""
        return sum(1 << i for i, ok in self.accept.items() if ok)

    @property
    def accepted(self) -> list[int]:
        """Accepted proposer indices in ascending (= aggregation) order."""
        return sorted(i for i, ok in self.accept.items() if ok)


def lower_median(values: Sequence[float]) -> float:
    """The lower of the two middle values (the middle one for odd counts)."""
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2]


def _typical_move(moves: Sequence[float], cap: float | None) -> float | None:
    """The lower median of the round's moves (two or more), capped by `cap`, a move no
    proposer can inflate (the public reference step's); None when neither is known."""
    typical = lower_median(moves) if len(moves) >= 2 else None
    if cap is not None and cap > 0:
        typical = cap if typical is None else min(typical, cap)
    return typical


def _push_text(push: float, per: str, cut: float) -> str:
    return f"output rows away from their own classes' public features ({push:.2f}x {per} output-layer move > {cut})"


def decide(
    scores: Sequence[UpdateScore],
    pioneer: bool,
    subset_metrics: SubsetMetrics | None,
    rule: VoteRule = VoteRule(),
    direction: Direction | None = None,
    previous_step: PreviousStep | None = None,
    reference: Reference | None = None,
) -> Verdict:
    """Apply the rule of the module docstring to one round's submitted updates."""
    accept: dict[int, bool] = {}
    reasons: dict[int, str] = {}

    def reject(i: int, why: str) -> None:
        accept[i], reasons[i] = False, why

    candidates: list[UpdateScore] = []
    for s in scores:
        if not s.valid:
            reject(s.index, s.reason or "invalid")
        elif pioneer and s.relative_distance is not None and s.relative_distance > rule.pioneer_factor:
            reject(s.index, f"pioneer model is {s.relative_distance:.3g}x ||initial model|| away from it")
        elif s.relative_distance is not None and s.relative_distance < rule.free_rider_tol:
            reject(s.index, "free-rider: identical to the global model")
        else:
            candidates.append(s)
    trusted_move: float | None = None
    """a move size the proposers cannot inflate: the public reference step's"""
    if reference is not None and candidates:
        view = reference(tuple(s.index for s in candidates))
        # pioneers start from the random initial model: there the whole model's direction
        # separates; later the output layer does (see step 6 in the module docstring)
        cosines, cut, where = (
            (view.whole_model, rule.pioneer_ref_cos_min, "whole-model")
            if pioneer
            else (
                {i: (view.output_layer[i] + view.whole_model[i]) / 2 for i in view.output_layer},
                rule.ref_cos_min,
                "mean output-layer / whole-model",
            )
        )
        if not pioneer and view.step_norm > 0:
            trusted_move = view.step_norm
        typical = head_typical = None
        if not pioneer:
            typical = _typical_move([s.distance for s in candidates if s.distance is not None], trusted_move)
            head_moves = [view.head_moves[s.index] for s in candidates if s.index in view.head_moves]
            head_typical = _typical_move(head_moves, view.head_step_norm) or None
        early = not pioneer and view.known_share is not None and view.known_share < rule.early_known_share
        kept = []
        for s in candidates:
            c = cosines[s.index]
            push = own_push = 0.0  # the class push is not judged in a pioneering round
            if not pioneer:
                against = view.against_class.get(s.index, 0.0)
                push = against / head_typical if head_typical else 0.0
                own_move = view.head_moves.get(s.index, 0.0)
                own_push = against / own_move if own_move > 0 else 0.0
            away = f"points away from the public reference step ({where} cosine {c:.2f})"
            if c < cut:
                reject(s.index, f"points away from the public reference step ({where} cosine {c:.2f} < {cut})")
            elif (early and view.whole_model[s.index] < rule.early_ref_cos_min
                  and view.own_pull_share.get(s.index, 0.0) < rule.early_own_pull_min):
                reject(s.index, f"points away from the public reference step while the model is young "
                                f"(whole-model cosine {view.whole_model[s.index]:.2f} < {rule.early_ref_cos_min}; "
                                f"it names {view.known_share:.0%} of the classes reliably) and pulls its output rows "
                                f"toward other classes' features (own-class share "
                                f"{view.own_pull_share.get(s.index, 0.0):.2f} < {rule.early_own_pull_min})")
            elif (c < 0 and typical is not None and s.distance is not None
                  and s.distance > rule.ref_move_factor * typical):
                reject(s.index, f"{away} while moving the model {s.distance / typical:.2f}x a typical move")
            elif c < 0 and own_push > rule.neg_own_class_push_max:
                reject(s.index, f"{away} while pushing " + _push_text(own_push, "its own", rule.neg_own_class_push_max))
            elif own_push > rule.own_class_push_max:
                reject(s.index, "pushes " + _push_text(own_push, "its own", rule.own_class_push_max))
            elif push > rule.class_push_max:
                reject(s.index, "pushes " + _push_text(push, "a typical", rule.class_push_max))
            else:
                kept.append(s)
        candidates = kept
    if pioneer:
        for s in candidates:
            accept[s.index], reasons[s.index] = True, "valid (pioneering round)"
        return Verdict(accept=accept, reasons=reasons)

    first_view = previous_step(tuple(sorted(s.index for s in candidates))) if previous_step and candidates else None
    distances = [s.distance for s in candidates if s.distance is not None]
    if len(distances) >= 2 or ((first_view is not None or trusted_move is not None) and distances):
        median = lower_median(distances)
        if first_view is not None and first_view.step_norm > 0:
            median = min(median, rule.step_norm_factor * first_view.step_norm)
        if trusted_move is not None:  # a majority of boosted or noisy updates owns the median
            median = min(median, trusted_move)
        kept = []
        for s in candidates:
            d = s.distance
            if d is not None and median > 0 and d < rule.min_move_factor * median:
                reject(s.index, f"free-rider: moves the model by {d:.3g}, under {rule.min_move_factor}x the median")
            elif d is not None and median > 0 and d > rule.norm_factor * median:
                reject(s.index, f"moves the model by {d:.3g}, over {rule.norm_factor}x the median {median:.3g}")
            else:
                kept.append(s)
        candidates = kept

    survivors = tuple(sorted(s.index for s in candidates))
    view = previous_step(survivors) if previous_step is not None and survivors else None
    if view is not None and view.median_cosine < rule.step_cos_min:
        # the round's median points against the last accepted step: attackers hold the
        # median, so judge every update against the public previous step alone
        against = {i for i in survivors if view.cosines[i] < rule.step_cos_min}
        for i in sorted(against):
            reject(i, f"points against the previous global step (cosine {view.cosines[i]:.2f}) "
                      f"while the round's median does too ({view.median_cosine:.2f})")
        survivors = tuple(i for i in survivors if i not in against)
        view = previous_step(survivors) if survivors else None
    cosines: Mapping[int, float] = {}
    if direction is not None and reference is None and len(survivors) >= rule.min_candidates:
        cosines = direction(survivors)
        cut = max(rule.cos_min, rule.cos_rel * lower_median(list(cosines.values())))
        outliers = {i for i in survivors if cosines[i] < cut}
        if view is not None:  # spare updates that follow the last accepted step
            outliers = {i for i in outliers if view.cosines[i] < rule.step_cos_keep}
        # never let the direction screen reject half or more: then there is no consensus
        if outliers and 2 * len(outliers) < len(survivors):
            for i in sorted(outliers):
                reject(i, f"points away from the round's median update (cosine {cosines[i]:.2f})")
            survivors = tuple(i for i in survivors if i not in outliers)
            cosines = direction(survivors) if len(survivors) >= rule.min_candidates else {}

    harmful: set[int] = set()
    if rule.local_check and subset_metrics is not None and cosines and len(survivors) >= rule.min_candidates:
        median_cos = lower_median(list(cosines.values()))
        full_acc, full_loss = subset_metrics(survivors)
        for i in survivors:
            if cosines[i] >= median_cos:
                continue
            acc, loss = subset_metrics(tuple(j for j in survivors if j != i))
            loss_gain = (full_loss - loss) / full_loss if full_loss > 0 else 0.0
            if loss_gain > rule.loo_loss_tol and acc - full_acc > rule.loo_acc_tol:
                harmful.add(i)
                reasons[i] = (
                    f"harms the aggregate on local data: loss {full_loss:.3f} -> {loss:.3f}, "
                    f"accuracy {full_acc:.3f} -> {acc:.3f} without it (cosine {cosines[i]:.2f})"
                )
        if 2 * len(harmful) >= len(survivors):
            harmful = set()  # not a clear minority: keep everyone rather than guess
    for i in survivors:
        if i in harmful:
            accept[i] = False
        else:
            accept[i] = True
            reasons[i] = "valid" + (f" (cosine {cosines[i]:.2f})" if i in cosines else "") + (
                f" (step cosine {view.cosines[i]:.2f})" if view is not None and i in view.cosines else ""
            )
    return Verdict(accept=accept, reasons=reasons)

