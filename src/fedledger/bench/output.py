"""Where every benchmark's numbers go: one JSON file, with the machine that measured them.

Why the machine travels with the numbers: the same code reads 1.11 on one machine and 1.13
on another (the overhead ratio depends on how fast the CPU trains against how fast it runs
the protocol), so a number without its CPU, core count and thread settings cannot be
compared with the next run's.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

from fedledger import __version__


def _cpu_model() -> str:
    """The CPU's model name (Linux `/proc/cpuinfo`), else what `platform` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, Any]:
    """The facts a benchmark number depends on besides the code."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count()
    info: dict[str, Any] = {
        "measured_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "fedledger": __version__,
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": usable,
        "python": platform.python_version(),
    }
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        info["numpy"] = numpy.__version__
    torch = sys.modules.get("torch")  # only where the benchmark itself used torch
    if torch is not None:
        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    return info


def write_result(out: Path | None, result: dict[str, Any], *, sort_keys: bool = False) -> None:
    """Add a `machine` entry to `result`, then write it as JSON to `out` (parents created;
    no file if `out` is None), so the returned numbers and the file's are the same."""
    result["machine"] = machine_info()
    if out is None:
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, sort_keys=sort_keys) + "\n", encoding="utf-8")
