"""A small Arena task on the embedded EVM with real node roles, for validator-side tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fedledger.chain import ChainClient
from fedledger.chain.arena import ArenaTaskClient
from fedledger.chain.factory import Stack, deploy_stack
from fedledger.core.records import ArenaConfig
from fedledger.learning.data import Dataset, load_dataset
from fedledger.learning.spec import TaskSpec
from fedledger.node.arena import ArenaCreator
from fedledger.storage.local import LocalStore

TOKEN = 10**18


def tiny_spec() -> TaskSpec:
    return TaskSpec.from_dict(
        {
            "model": {"name": "mlp", "kwargs": {"hidden": [8]}},
            "dataset": {"name": "digits", "num_features": 64, "num_classes": 10, "input_shape": [1, 8, 8]},
            "local_epochs": 2,
            "batch_size": 16,
            "learning_rate": 0.05,
            "optimizer": {"name": "sgd", "momentum": 0.9},
            "max_blob_bytes": 1 << 20,
        }
    )


@dataclass
class SmallArena:
    client: ChainClient
    stack: Stack
    store: LocalStore
    creator: ArenaCreator
    task: ArenaTaskClient
    spec: TaskSpec
    eval_set: Dataset
    train_data: Dataset
    root: Path

    def person(self, tokens: int) -> Any:
        account = self.client.new_account()
        self.stack.token.mint(account.address, tokens * TOKEN, self.stack.owner)
        return account

    def past(self, deadline: int) -> None:
        now = self.client.now()
        if now <= deadline:
            self.client.advance_time(deadline - now + 1)


def small_arena(root: Path, max_trainers: int = 1, k: int = 1) -> SmallArena:
    """Creator with a 100-sample evaluation set; `max_trainers` slots; `k` validators per submission."""
    client = ChainClient.embedded()
    owner = client.dev_accounts()[0]
    stack = deploy_stack(client, owner)
    store = LocalStore(root / "store")
    spec = tiny_spec()
    full = load_dataset(spec.dataset)
    order = np.random.default_rng(0).permutation(len(full))
    eval_set, train_data = full.subset(order[:100]), full.subset(order[100:400])
    creator_acc = client.new_account()
    stack.token.mint(creator_acc.address, 300 * TOKEN, owner)
    creator = ArenaCreator(stack.factory, store, creator_acc, spec, eval_set, eval_store=store)
    config = ArenaConfig(
        spec_hash=b"\x01" * 32, eval_set_hash=b"\x01" * 32, reward_pool=100 * TOKEN, trainer_stake=TOKEN,
        validator_stake=TOKEN, creator_stake=100 * TOKEN, max_trainers=max_trainers, max_validators=8,
        validators_per_submission=k, max_validations_per_validator=8, alliance_share_bps=0,
    )
    task = creator.create(config)
    return SmallArena(client, stack, store, creator, task, spec, eval_set, train_data, root)
