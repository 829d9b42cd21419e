"""Benchmark: FedAvg throughput against a plain numpy copy of the same bytes.

FedAvg is memory-bound (one multiply-add per input element), so the honest yardstick is
the machine's own memory bandwidth, measured in the same run: `np.copyto` of every input
tensor into a preallocated destination. The reported ratio is
`copy_seconds / fedavg_seconds` = FedAvg throughput / copy throughput (bytes of input per
second), median over repeats. Target: >= 0.25.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.console import Console
from rich.table import Table

from fedledger.bench.output import write_result
from fedledger.learning.aggregate import fedavg

TARGET_RATIO = 0.25


def _make_states(count: int, params: int, seed: int) -> list[dict[str, torch.Tensor]]:
    """`count` float32 states of `params` parameters, shaped like a small network."""
    g = torch.Generator().manual_seed(seed)
    big = params * 9 // 10
    shapes = {"fc1.weight": (big,), "fc1.bias": (params - big - 1000,), "fc2.weight": (1000,)}
    return [{k: torch.randn(*s, generator=g) for k, s in shapes.items()} for _ in range(count)]


def _time(fn: Any, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def run_aggregation(
    out: Path | None = None,
    counts: Sequence[int] = (10, 50),
    sizes: Sequence[int] = (1_000_000, 10_000_000),
    repeats: int = 7,
    seed: int = 0,
) -> dict[str, Any]:
    """Measure FedAvg vs copy throughput for every (updates, parameters) case."""
    cases = []
    for params in sizes:
        for count in counts:
            states = _make_states(count, params, seed)
            weights = [float(100 + i) for i in range(count)]
            sources = [v.numpy() for s in states for v in s.values()]
            dests = [np.empty_like(a) for a in sources]
            input_bytes = sum(a.nbytes for a in sources)

            def copy_all() -> None:
                for dst, src in zip(dests, sources, strict=True):
                    np.copyto(dst, src)

            copy_all()
            fedavg(states, weights)  # warm-up: page in buffers, load code paths
            copy_times = _time(copy_all, repeats)
            avg_times = _time(lambda: fedavg(states, weights), repeats)
            t_copy, t_avg = statistics.median(copy_times), statistics.median(avg_times)
            cases.append(
                {
                    "updates": count,
                    "parameters": params,
                    "input_bytes": input_bytes,
                    "fedavg_seconds": t_avg,
                    "copy_seconds": t_copy,
                    "fedavg_gb_per_s": input_bytes / t_avg / 1e9,
                    "copy_gb_per_s": input_bytes / t_copy / 1e9,
                    "ratio": t_copy / t_avg,
                }
            )
            del states, sources, dests
            gc.collect()
    result = {
        "benchmark": "aggregation",
        "repeats": repeats,
        "target_ratio": TARGET_RATIO,
        "torch_threads": torch.get_num_threads(),
        "cases": cases,
        "min_ratio": min(c["ratio"] for c in cases),
        "meets_target": all(c["ratio"] >= TARGET_RATIO for c in cases),
    }
    table = Table(title="FedAvg throughput vs numpy copy (median of repeats)")
    for col in ("updates", "params", "input MB", "fedavg s", "fedavg GB/s", "copy GB/s", "ratio"):
        table.add_column(col, justify="right")
    for c in cases:
        table.add_row(
            str(c["updates"]),
            f"{c['parameters']:,}",
            f"{c['input_bytes'] / 1e6:,.0f}",
            f"{c['fedavg_seconds']:.4f}",
            f"{c['fedavg_gb_per_s']:.2f}",
            f"{c['copy_gb_per_s']:.2f}",
            f"{c['ratio']:.2f}",
        )
    Console().print(table)
    write_result(out, result)
    return result
