"""One call for `fedledger demo --kind arena`: run the Arena simulation, write report.json and the
PNG plots into `out`, and return the report with the paths written."""

from __future__ import annotations

from pathlib import Path

from fedledger.sim.arena.config import ArenaSimConfig
from fedledger.sim.arena.engine import Progress, run_arena_simulation
from fedledger.sim.arena.plots import write_arena_plots
from fedledger.sim.arena.report import ArenaReport


def run_arena_demo(
    out: Path, config: ArenaSimConfig | None = None, progress: Progress | None = None
) -> tuple[ArenaReport, list[Path]]:
    """Run the embedded Arena demo; write `out/report.json` and `out/*.png`; return (report, paths)."""
    report = run_arena_simulation(config or ArenaSimConfig(), progress=progress)
    paths = [report.write(Path(out) / "report.json"), *write_arena_plots(report, Path(out))]
    return report, paths
