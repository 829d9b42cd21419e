"""The learning engine: task specs, models, data, local training, update checks, aggregation.

Pure computation: no chain, no storage, no network. torch is imported only inside this
package, and only by the submodules that need it: importing `fedledger.learning` (or
`fedledger.learning.spec`) loads pydantic, not torch, so the API and CLI can validate specs
cheaply. The names below are resolved lazily from their submodules.

Modules: `spec` (TaskSpec), `models` (registry), `data` (Dataset, loaders), `partition`,
`train` (train_local, evaluate), `updates` (safetensors bytes, validate_update),
`aggregate` (FedAvg and robust strategies), `baseline` (plain FedAvg loop), `presets`.
"""

from __future__ import annotations

import importlib
from typing import Any

from fedledger.learning.spec import DatasetSpec, ModelSpec, OptimizerSpec, TaskSpec

_LAZY = {
    "build_model": "models",
    "register_model": "models",
    "available_models": "models",
    "Dataset": "data",
    "load_dataset": "data",
    "make_synthetic": "data",
    "train_local": "train",
    "evaluate": "train",
    "initial_state": "train",
    "derive_seed": "train",
    "State": "updates",
    "state_to_bytes": "updates",
    "bytes_to_state": "updates",
    "state_digest": "updates",
    "validate_update": "updates",
    "fedavg": "aggregate",
    "coordinate_median": "aggregate",
    "trimmed_mean": "aggregate",
    "multi_krum": "aggregate",
    "get_strategy": "aggregate",
    "run_fedavg_baseline": "baseline",
    "make_federation": "baseline",
}

__all__ = ["DatasetSpec", "ModelSpec", "OptimizerSpec", "TaskSpec", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fedledger.learning' has no attribute {name!r}")
    return getattr(importlib.import_module(f"fedledger.learning.{module}"), name)
