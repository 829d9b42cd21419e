"""Benchmarks (never tests): each module exposes `run_<name>(..., out) -> dict`."""
