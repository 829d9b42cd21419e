"""Five node processes on a real anvil node: one is killed mid-round and restarted; the task
still finishes, everyone withdraws, and tokens are conserved."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from fedledger.chain import ChainClient
from fedledger.chain.factory import deploy_stack
from fedledger.chain.keystore import create_keystore
from fedledger.core.records import AllianceConfig, TaskStatus
from fedledger.learning.spec import TaskSpec
from fedledger.sim.config import SimConfig, make_spec
from fedledger.sim.data import make_sim_data
from fedledger.storage.local import LocalStore

N = 5
STAKE = 100 * 10**18
POOL = 1000 * 10**18
SRC = str(Path(__file__).resolve().parents[2] / "src")


def _spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    home = log.parent / "home"  # every node on this machine keeps its state under one home
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""), FEDLEDGER_HOME=str(home))
    return subprocess.Popen([sys.executable, "-m", "fedledger.node", *args], stdout=log.open("ab"), stderr=subprocess.STDOUT, env=env)


@pytest.mark.slow
@pytest.mark.integration
def test_node_processes_run_a_task_and_survive_a_kill(anvil_url: str, tmp_path: Path) -> None:
    client = ChainClient.connect(anvil_url)
    owner = client.dev_accounts()[0]
    stack = deploy_stack(client, owner)
    base = make_spec(SimConfig(rounds=3))
    spec = TaskSpec.from_dict(
        {**base.model_dump(mode="json"), "dataset": {"name": "npz", "num_features": 64, "num_classes": 10, "input_shape": [1, 8, 8]}}
    )
    store = LocalStore(tmp_path / "store")
    store.put(spec.canonical_json())
    stack.token.mint(owner.address, POOL, owner)
    config = AllianceConfig(
        spec_hash=spec.spec_digest(), reward_pool=POOL, stake_required=STAKE, min_participants=3,
        max_participants=N, rounds=3, proposer_ratio_bps=4000, propose_window=600, commit_window=600,
        reveal_window=600,
    )
    task = stack.factory.create_alliance_task(config, owner)
    shares = make_sim_data(base, N, 0.5, 0, 0.2).shares
    procs: dict[int, subprocess.Popen[bytes]] = {}
    argv: dict[int, list[str]] = {}
    addresses = []
    for i in range(N):
        account = client.new_account()
        stack.token.mint(account.address, STAKE, owner)
        keystore = tmp_path / f"key{i}.json"
        create_keystore(keystore, "pw", account.key, iterations=2)
        (tmp_path / "pw.txt").write_text("pw\n")
        np.savez(tmp_path / f"data{i}.npz", x=shares[i].x, y=shares[i].y)
        addresses.append(account.address)
        argv[i] = [
            "--rpc-url", anvil_url, "--keystore", str(keystore), "--password-file", str(tmp_path / "pw.txt"),
            "--task", task.address, "--data", str(tmp_path / f"data{i}.npz"), "--storage", str(tmp_path / "store"),
            "--poll", "0.2",  # no --state-dir: one per task and account under FEDLEDGER_HOME
        ]
        procs[i] = _spawn(argv[i], tmp_path / f"node{i}.log")
    killed = False
    deadline = time.monotonic() + 500
    while time.monotonic() < deadline and any(p.poll() is None for p in procs.values()):
        if not killed and task.round_count() >= 2:
            procs[0].send_signal(signal.SIGKILL)  # mid-round 1, whatever it was doing
            procs[0].wait()
            procs[0] = _spawn(argv[0], tmp_path / "node0.log")
            killed = True
        time.sleep(0.3)
    logs = {i: (tmp_path / f"node{i}.log").read_text()[-2000:] for i in range(N)}
    assert all(p.poll() == 0 for p in procs.values()), logs
    assert killed
    assert task.status() == TaskStatus.FINISHED
    summaries = [json.loads(logs[i].strip().splitlines()[-1]) for i in range(N)]
    assert all(s["withdrawn"] for s in summaries)
    states = tmp_path / "home" / "nodes" / task.address.lower()
    assert sorted(p.name for p in states.iterdir()) == sorted(a.lower() for a in addresses)
    # each process told its operator what it did, without -v
    full = [(tmp_path / f"node{i}.log").read_text() for i in range(N)]
    assert all("committed vote for round 2" in text and "revealed vote for round 2" in text for text in full), logs
    # the creator withdraws its refund; then every token is back in a wallet
    task.withdraw(owner)
    token = stack.token
    assert token.balance_of(task.address) == 0
    assert sum(token.balance_of(a) for a in addresses) + token.balance_of(owner.address) == POOL + N * STAKE
    assert all(token.balance_of(a) > 0 for a in addresses)
