"""Process-wide allocator setting for node processes: keep freed large blocks for reuse.

A voter allocates and frees the same large temporaries every round: flattened float64 copies
of each update and of the global model (8 MB each for the 1M-parameter reference CNN),
decoded blobs, FedAvg outputs. glibc serves blocks above its mmap threshold with fresh pages
from the kernel and returns them on free, so every round pays one page fault per 4 KiB page
again: on the reference machine a flatten took 9 ms, of which 8 were faults (0.8 ms once the
block is reused), which made flattening the largest single cost of a vote. Raising the mmap
and trim thresholds keeps freed blocks in the heap, where the next round's arrays of the same
size land on pages already mapped. The cost is that the process keeps its peak footprint,
which a long-running node reaches every round anyway.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import platform

log = logging.getLogger(__name__)

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
"""mallopt parameter numbers from glibc's malloc.h."""
MMAP_THRESHOLD_BYTES = 512 * 1024 * 1024
"""Blocks up to this size come from the heap: a float64 flatten of up to 64M parameters."""
FALLBACK_MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024
"""Tried when the first value is refused: some glibc releases accept at most half their
HEAP_MAX_SIZE (64 MiB on 64-bit builds). It still covers the 1M-parameter reference's 8 MB."""
TRIM_THRESHOLD_BYTES = 2 * MMAP_THRESHOLD_BYTES
"""Free memory at the top of the heap is returned to the kernel only above this."""

OPT_OUT_ENV = "FEDLEDGER_RETAIN_FREED_MEMORY"
"""Set to 0 to leave the allocator alone (a host short of memory trades the speed back)."""

_applied: bool | None = None
mmap_threshold: int | None = None
"""The threshold this process set, once `retain_freed_memory` succeeded."""


def retain_freed_memory() -> bool:
    """Apply the thresholds once per process; True if the C library took them (glibc only;
    elsewhere, or with `FEDLEDGER_RETAIN_FREED_MEMORY=0`, the allocator is left as it is and
    False is returned)."""
    global _applied, mmap_threshold
    if _applied is not None:
        return _applied
    _applied = False
    if os.environ.get(OPT_OUT_ENV, "1").strip() == "0":
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    for threshold in (MMAP_THRESHOLD_BYTES, FALLBACK_MMAP_THRESHOLD_BYTES):
        if mallopt(M_MMAP_THRESHOLD, threshold):
            mmap_threshold = threshold
            break
    _applied = mmap_threshold is not None and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
    if not _applied:
        log.debug("mallopt refused the mmap/trim thresholds; the allocator keeps its defaults")
    return _applied
