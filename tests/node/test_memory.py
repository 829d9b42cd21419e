"""The allocator setting node processes apply: large freed blocks stay in the heap."""

from __future__ import annotations

import ctypes
import platform

import numpy as np
import pytest

from fedledger.node import memory

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
BLOCK_BYTES = 64 * 1024 * 1024
"""Above glibc's own dynamic threshold cap (32 MiB): with the defaults such a block always gets
its own mapping and is unmapped again on free."""


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost",
    )]


def _mmapped_bytes() -> int:
    """glibc's count of bytes in blocks it serves with their own mmap (`hblkhd`)."""
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _Mallinfo2
    return int(libc.mallinfo2().hblkhd)


@pytest.mark.skipif(not GLIBC, reason="mallopt thresholds are a glibc setting")
def test_a_model_sized_array_comes_from_the_heap_once_applied() -> None:
    assert memory.retain_freed_memory() is True
    assert memory.mmap_threshold is not None
    if memory.mmap_threshold < 2 * BLOCK_BYTES:
        pytest.skip(f"this glibc accepts an mmap threshold of at most {memory.mmap_threshold} bytes")
    before = _mmapped_bytes()
    block = np.ones(BLOCK_BYTES // 8)
    assert _mmapped_bytes() - before < block.nbytes
    del block


def test_it_is_applied_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, int]] = []

    class _FakeLibc:
        @staticmethod
        def mallopt(param: int, value: int) -> int:
            calls.append((param, value))
            return 1

    monkeypatch.setattr(memory, "_applied", None)
    monkeypatch.setattr(memory, "mmap_threshold", None)
    monkeypatch.delenv(memory.OPT_OUT_ENV, raising=False)
    monkeypatch.setattr(memory.platform, "system", lambda: "Linux")
    monkeypatch.setattr(memory.platform, "libc_ver", lambda: ("glibc", "2.36"))
    monkeypatch.setattr(memory.ctypes, "CDLL", lambda name: _FakeLibc())
    assert memory.retain_freed_memory() is True
    assert memory.retain_freed_memory() is True
    assert calls == [
        (memory.M_MMAP_THRESHOLD, memory.MMAP_THRESHOLD_BYTES),
        (memory.M_TRIM_THRESHOLD, memory.TRIM_THRESHOLD_BYTES),
    ]


def test_other_c_libraries_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "_applied", None)
    monkeypatch.delenv(memory.OPT_OUT_ENV, raising=False)
    monkeypatch.setattr(memory.platform, "libc_ver", lambda: ("", ""))
    monkeypatch.setattr(memory.ctypes, "CDLL", lambda name: pytest.fail("no C library should be loaded"))
    assert memory.retain_freed_memory() is False


def test_operators_can_opt_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "_applied", None)
    monkeypatch.setenv(memory.OPT_OUT_ENV, "0")
    monkeypatch.setattr(memory.ctypes, "CDLL", lambda name: pytest.fail("the allocator should be left alone"))
    assert memory.retain_freed_memory() is False
