"""Embedded Arena simulation: a competition on an in-process chain, then the Alliance task derived
from its winner. Entry point: `run_arena_simulation(ArenaSimConfig(...), progress=callback)`."""

from fedledger.sim.arena.config import ArenaSimConfig, make_arena_spec
from fedledger.sim.arena.demo import run_arena_demo
from fedledger.sim.arena.engine import Progress, run_arena_simulation
from fedledger.sim.arena.plots import write_arena_plots
from fedledger.sim.arena.report import ArenaReport

__all__ = [
    "ArenaReport",
    "ArenaSimConfig",
    "Progress",
    "make_arena_spec",
    "run_arena_demo",
    "run_arena_simulation",
    "write_arena_plots",
]
