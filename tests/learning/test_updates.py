"""Safetensors bytes and update validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from fedledger.core.errors import UpdateValidationError
from fedledger.learning.updates import bytes_to_state, state_digest, state_to_bytes, validate_update, validated_delta
from fedledger.node.learner import Learner


def _state() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return {"w": torch.randn(4, 3, generator=g), "b": torch.randn(3, generator=g), "step": torch.tensor([2])}


def test_roundtrip_and_deterministic_bytes() -> None:
    s = _state()
    raw = state_to_bytes(s)
    back = bytes_to_state(raw)
    assert list(back) == sorted(s)
    assert all(torch.equal(back[k], s[k]) and back[k].dtype == s[k].dtype for k in s)
    reordered = {k: s[k] for k in reversed(list(s))}
    assert state_to_bytes(reordered) == raw
    assert state_digest(reordered) == state_digest(s)
    # non-contiguous views and tensors sharing storage serialise like their contiguous copies
    base = torch.arange(12.0).reshape(3, 4)
    shared = {"t": base.t(), "u": base}
    assert bytes_to_state(state_to_bytes(shared))["t"].tolist() == base.t().tolist()
    assert state_to_bytes(shared) == state_to_bytes({"t": base.t().contiguous(), "u": base.clone()})


@pytest.mark.parametrize("cut", [0, 5, 8, 20, -1])
def test_truncated_input(cut: int) -> None:
    raw = state_to_bytes(_state())
    with pytest.raises(UpdateValidationError):
        bytes_to_state(raw[:cut])


def test_garbled_input() -> None:
    raw = bytearray(state_to_bytes(_state()))
    raw[8:20] = b"#" * 12
    with pytest.raises(UpdateValidationError, match="not a valid safetensors"):
        bytes_to_state(bytes(raw))
    huge = (2**40).to_bytes(8, "little") + b"{}"
    with pytest.raises(UpdateValidationError, match="truncated"):
        bytes_to_state(huge)
    with pytest.raises(UpdateValidationError, match="max_blob_bytes"):
        bytes_to_state(state_to_bytes(_state()), max_bytes=10)
    with pytest.raises(UpdateValidationError, match="empty"):
        state_to_bytes({})


def test_validate_ok_and_norm() -> None:
    ref = _state()
    upd = {k: v.clone() for k, v in ref.items()}
    upd["b"] = upd["b"] + 1.0
    assert validate_update(upd, ref) == pytest.approx(math.sqrt(3.0))
    assert validate_update(upd, ref, max_norm=2.0) == pytest.approx(math.sqrt(3.0))
    with pytest.raises(UpdateValidationError, match="over the task's bound"):
        validate_update(upd, ref, max_norm=1.5)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda s: s.pop("b"), r"missing \['b'\]"),
        (lambda s: s.__setitem__("extra", torch.zeros(1)), r"unexpected \['extra'\]"),
        (lambda s: s.__setitem__("w", torch.zeros(3, 4)), r"'w' has shape \[3, 4\], expected \[4, 3\]"),
        (lambda s: s.__setitem__("w", torch.zeros(4, 3, dtype=torch.float64)), r"'w' has dtype torch.float64"),
        (lambda s: s["b"].__setitem__(1, float("nan")), r"'b' has 1 non-finite value\(s\) \(1 NaN, 0 ±Inf\)"),
        (lambda s: s["w"].__setitem__((0, 0), float("inf")), r"'w' has 1 non-finite .*1 ±Inf"),
    ],
)
@pytest.mark.parametrize("fused", [False, True], ids=["validate_update", "validated_delta"])
def test_validate_rejects(mutate, message: str, fused: bool) -> None:  # type: ignore[no-untyped-def]
    ref = _state()
    upd = {k: v.clone() for k, v in ref.items()}
    mutate(upd)
    with pytest.raises(UpdateValidationError, match=message):
        if fused:
            validated_delta(upd, ref, Learner.flatten(ref))
        else:
            validate_update(upd, ref)


def test_nan_survives_bytes_and_is_caught() -> None:
    ref = _state()
    bad = {k: v.clone() for k, v in ref.items()}
    bad["w"][1, 1] = float("nan")
    with pytest.raises(UpdateValidationError, match="'w'"):
        validate_update(bytes_to_state(state_to_bytes(bad)), ref)


def test_distance_matches_float64_reference_for_every_dtype() -> None:
    """The blocked numpy distance equals a plain float64 computation, across blocks and dtypes."""
    from fedledger.learning.updates import VALIDATE_CHUNK

    g = torch.Generator().manual_seed(5)
    ref = {
        "big": torch.randn(VALIDATE_CHUNK + 17, generator=g),
        "half": torch.randn(33, generator=g).to(torch.bfloat16),
        "count": torch.tensor([3], dtype=torch.int64),
        "mask": torch.tensor([True, False]),
    }
    upd = {
        "big": ref["big"] + torch.randn(VALIDATE_CHUNK + 17, generator=g),
        "half": (ref["half"].float() + 1).to(torch.bfloat16),
        "count": torch.tensor([5], dtype=torch.int64),
        "mask": torch.tensor([False, False]),
    }
    expected = sum(float(((upd[k].double() - ref[k].double()) ** 2).sum()) for k in ref)
    assert validate_update(upd, ref) == pytest.approx(expected ** 0.5, rel=1e-12)


def test_state_to_bytes_equals_safetensors_save_for_every_dtype() -> None:
    """Our writer lays out exactly what safetensors writes (dtype order, names, padding),
    including empty, scalar, non-ASCII-named and storage-sharing tensors."""
    from safetensors.torch import save

    dtypes = [
        torch.bool, torch.uint8, torch.int8, torch.int16, torch.uint16, torch.float16, torch.bfloat16,
        torch.int32, torch.uint32, torch.float32, torch.float64, torch.int64, torch.uint64, torch.complex64,
        torch.float8_e4m3fn, torch.float8_e5m2,
    ]
    g = torch.Generator().manual_seed(0)
    state = {f"layer.{i}.w": (torch.randn(3, i + 1, generator=g) * 10).to(d) for i, d in enumerate(dtypes)}
    shared = torch.randn(4, 4, generator=g)
    state.update({"empty": torch.zeros(0, 3), "scalar": torch.tensor(3.5), "ünï": torch.ones(2),
                  "tied": shared, "tied_row": shared[1], "strided": shared.t()})
    expected = bytes(save({k: v.clone().contiguous() for k, v in state.items()}))
    assert state_to_bytes(state) == expected
    back = bytes_to_state(expected)
    assert torch.equal(back["strided"], shared.t()) and torch.equal(back["tied_row"], shared[1])


def _mixed_dtypes(seed: int) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    from fedledger.learning.updates import VALIDATE_CHUNK

    g = torch.Generator().manual_seed(seed)
    ref = {
        "big": torch.randn(2 * VALIDATE_CHUNK + 17, generator=g),
        "half": torch.randn(33, generator=g).to(torch.bfloat16),
        "count": torch.tensor([3], dtype=torch.int64),
        "mask": torch.tensor([True, False]),
        "wide": torch.randn(5, 7, generator=g, dtype=torch.float64),
    }
    upd = {k: v.clone() for k, v in ref.items()}
    upd["big"] += torch.randn(upd["big"].shape, generator=g) * 10 ** (seed % 5 - 3)
    upd["half"] = (ref["half"].float() + 1).to(torch.bfloat16)
    upd["count"] = torch.tensor([5])
    upd["mask"] = torch.tensor([False, False])
    upd["wide"] += 1e-9
    return upd, ref


@pytest.mark.parametrize("seed", range(6))
def test_validated_delta_is_validate_update_and_the_flat_delta_bit_for_bit(seed: int) -> None:
    """Voters fuse validation with the delta their screens need; the norm must be the very
    float `validate_update` returns (rules compare it), the delta the very flatten difference."""
    upd, ref = _mixed_dtypes(seed)
    norm, delta = validated_delta(upd, ref, Learner.flatten(ref), max_norm=1e9)
    assert norm == validate_update(upd, ref)
    expected = Learner.flatten(upd)
    expected -= Learner.flatten(ref)
    assert delta.dtype == np.float64 and np.array_equal(delta, expected)


def test_validated_delta_needs_the_reference_flattened() -> None:
    upd, ref = _mixed_dtypes(0)
    with pytest.raises(ValueError, match="reference_flat"):
        validated_delta(upd, ref, Learner.flatten(ref)[:-1])
    with pytest.raises(ValueError, match="reference_flat"):
        validated_delta(upd, ref, np.zeros(Learner.flatten(ref).size + 1))
    with pytest.raises(UpdateValidationError, match="complex"):
        cref = {"z": torch.zeros(2, dtype=torch.complex64)}
        validated_delta({"z": torch.ones(2, dtype=torch.complex64)}, cref, np.zeros(2))
