"""Split one dataset among simulated participants, and each participant's share into a
private train/test split.

A partition is a list of sorted int64 index arrays, one per client; every sample index
appears in exactly one of them, and every client gets at least `min_samples` samples.
All functions are seeded with numpy's PCG64, so the same arguments give the same split
on any machine.

- IID: a seeded shuffle cut into near-equal parts.
- Label skew: per-class client proportions drawn from Dirichlet(α) (Hsu, Qi & Brown,
  "Measuring the Effects of Non-Identical Data Distribution for Federated Visual
  Classification", 2019). Smaller α gives each client fewer classes.
- Quantity skew: client sizes drawn from Dirichlet(α) over clients, labels IID
  (Li et al., "Federated Learning on Non-IID Data Silos: An Experimental Study", 2022).
"""

from __future__ import annotations

import numpy as np

from fedledger.core.errors import ValidationError

Partition = list[np.ndarray]


def _check(num_samples: int, num_clients: int, min_samples: int) -> None:
    if num_clients < 1:
        raise ValidationError(f"num_clients must be >= 1, got {num_clients}")
    if min_samples < 0:
        raise ValidationError(f"min_samples must be >= 0, got {min_samples}")
    if num_samples < num_clients * min_samples:
        raise ValidationError(
            f"{num_samples} samples cannot give {num_clients} clients {min_samples} sample(s) each"
        )


def _check_alpha(alpha: float) -> None:
    if not (alpha > 0 and np.isfinite(alpha)):
        raise ValidationError(f"alpha must be a positive finite number, got {alpha}")


def _rebalance(parts: list[list[int]] | list[np.ndarray], min_samples: int) -> Partition:
    """Move samples from the largest client to any client under `min_samples`.

    Deterministic (ties broken by lowest client index), so seeding stays reproducible.
    """
    arrays = [np.sort(np.asarray(p, dtype=np.int64)) for p in parts]
    while True:
        sizes = [len(a) for a in arrays]
        short = [i for i, s in enumerate(sizes) if s < min_samples]
        if not short:
            return arrays
        donor = int(np.argmax(sizes))
        taker = short[0]
        moved, arrays[donor] = arrays[donor][-1:], arrays[donor][:-1]
        arrays[taker] = np.sort(np.concatenate([arrays[taker], moved]))


def iid(num_samples: int, num_clients: int, seed: int, min_samples: int = 1) -> Partition:
    """Shuffle the indices and cut them into `num_clients` parts differing by at most one."""
    _check(num_samples, num_clients, min_samples)
    perm = np.random.default_rng(seed).permutation(num_samples)
    return [np.sort(part).astype(np.int64) for part in np.array_split(perm, num_clients)]


def dirichlet_label_skew(
    labels: np.ndarray, num_clients: int, alpha: float, seed: int, min_samples: int = 1
) -> Partition:
    """Per class, split its samples among clients in Dirichlet(α) proportions."""
    labels = np.asarray(labels)
    _check(len(labels), num_clients, min_samples)
    _check_alpha(alpha)
    rng = np.random.default_rng(seed)
    parts: list[list[int]] = [[] for _ in range(num_clients)]
    for cls in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == cls))
        props = rng.dirichlet(np.full(num_clients, alpha))
        cuts = (np.cumsum(props)[:-1] * len(idx)).astype(np.int64)
        for client, chunk in enumerate(np.split(idx, cuts)):
            parts[client].extend(chunk.tolist())
    return _rebalance(parts, min_samples)


def quantity_skew(
    num_samples: int, num_clients: int, alpha: float, seed: int, min_samples: int = 1
) -> Partition:
    """IID labels, but client sizes in Dirichlet(α) proportions (smaller α, more unequal)."""
    _check(num_samples, num_clients, min_samples)
    _check_alpha(alpha)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(num_samples)
    props = rng.dirichlet(np.full(num_clients, alpha))
    cuts = (np.cumsum(props)[:-1] * num_samples).astype(np.int64)
    return _rebalance(np.split(perm, cuts), min_samples)


def train_test_split(
    partition: np.ndarray, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Split one client's indices into (train, test), both sorted; seeded.

    Each participant does this on joining a task: the test part stays private and is what
    the participant scores other proposers' updates on. With two or more samples both
    sides get at least one.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValidationError(f"test_fraction must be in (0, 1), got {test_fraction}")
    idx = np.asarray(partition, dtype=np.int64)
    if len(idx) < 2:
        raise ValidationError(f"need at least 2 samples to split into train and test, got {len(idx)}")
    perm = np.random.default_rng(seed).permutation(idx)
    n_test = min(max(1, round(len(idx) * test_fraction)), len(idx) - 1)
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


def label_entropy(labels: np.ndarray, partition: Partition, num_classes: int) -> float:
    """Mean Shannon entropy (nats) of each client's label distribution: a skew measure.

    IID clients score near log(num_classes); strong label skew scores near 0.
    """
    labels = np.asarray(labels)
    total = 0.0
    for part in partition:
        counts = np.bincount(labels[part], minlength=num_classes).astype(np.float64)
        if counts.sum() == 0:
            continue
        p = counts[counts > 0] / counts.sum()
        total += float(-(p * np.log(p)).sum())
    return total / len(partition)
