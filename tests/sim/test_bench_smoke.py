"""The benchmark functions run end to end at tiny sizes (they are not tests of performance)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fedledger.bench.attacks import run_attacks
from fedledger.bench.overhead import run_overhead
from fedledger.bench.scale import run_scale


@pytest.mark.slow
def test_attack_and_scale_benchmarks_run_tiny(tmp_path: Path) -> None:
    kwargs = {"fractions": (0.25,), "participants": 4, "rounds": 2, "behaviours": ("noise",), "repeats": 2}
    res = run_attacks(out=tmp_path / "a.json", **kwargs)  # type: ignore[arg-type]
    assert (tmp_path / "a.json").exists() and res["rows"][0]["behaviour"] == "noise"
    # Seeded simulations replay exactly in worker processes: parallel cells give the same matrix.
    parallel = run_attacks(jobs=2, **kwargs)  # type: ignore[arg-type]
    assert parallel["clean_accuracies"] == res["clean_accuracies"]
    assert parallel["rows"][0]["final_accuracies"] == res["rows"][0]["final_accuracies"]
    assert parallel["rows"][0]["attacker_net_change_tokens"] == res["rows"][0]["attacker_net_change_tokens"]
    assert len(res["clean_honest_rejected"]) == len(res["clean_honest_slashed"]) == 2
    stealthy = run_attacks(attackers_vote_honestly=True, **kwargs)  # type: ignore[arg-type]
    assert stealthy["attackers_vote_honestly"] and stealthy["clean_accuracies"] == res["clean_accuracies"]
    skewed = run_attacks(alpha=0.3, local_epochs=2, **kwargs)  # type: ignore[arg-type]
    assert (skewed["alpha"], skewed["local_epochs"]) == (0.3, 2) and skewed["clean_accuracies"] != res["clean_accuracies"]
    sc = run_scale(n=4, rounds=2, out=tmp_path / "s.json")
    assert sc["conservation_ok"] and len(sc["per_round"]) == 2
    assert 0.0 <= sc["baseline_accuracy"] <= 1.0  # the accuracy comes with plain FedAvg's beside it
    ov = run_overhead(out=tmp_path / "o.json", rounds=2, reference=False, digits_participants=4)
    row = ov["digits_mlp"]
    assert row["rounds_measured"] == 1 and row["transactions_per_round"] > 0
    assert abs(sum(row["breakdown_s_per_round"].values()) - row["protocol_s_per_round"]) < 1e-6
    # the simulated task publishes a public set, so voters pay for a reference step
    assert row["breakdown_s_per_round"]["reference"] > 0 and row["reference_share"] > 0
    # checking updates is timed as its own part, not left inside the chain part's logic
    assert row["breakdown_s_per_round"]["validate"] > 0
    # the chain part splits into views, transactions and the nodes' logic, and adds up again
    split = row["chain_split_s_per_round"]
    assert split["views"] > 0 and split["transactions"] > 0 and row["views_per_round"] >= row["transactions_per_round"]
    assert abs(sum(split.values()) - row["breakdown_s_per_round"]["chain"]) < 1e-6
    # the work outside training is the breakdown without its training part, and the budget is
    # the target's share of plain FedAvg's time
    parts = row["breakdown_s_per_round"]
    assert abs(row["protocol_work_s_per_round"] - (sum(parts.values()) - parts["train"])) < 1e-6
    assert abs(row["work_budget_s_per_round"] - 0.10 * row["baseline_s_per_round"]) < 1e-9


def test_overhead_tables_keep_every_workload_name_whole() -> None:
    """The table is printed on a terminal: a row whose name is cut to 'cnn_refe…' cannot be
    told from its neighbours (it was, with every column in one table)."""
    from rich.console import Console

    from fedledger.bench.overhead import PARTS, _tables

    names = ["digits_mlp", "cnn_reference", "cnn_reference_no_public_set", "cnn_reference_anvil_no_public_set"]
    row = {
        "protocol_s_per_round": 4.4, "baseline_s_per_round": 4.0, "ratio": 1.1, "protocol_work_ratio": 1.12,
        "overhead_s_per_round_per_participant": 0.05, "final_accuracy": 0.93,
        "breakdown_s_per_round": dict.fromkeys(PARTS, 0.1), "transactions_per_round": 21.0,
        "ms_per_transaction": 9.3, "views_per_round": 77.0, "ms_per_view": 0.66,
        "chain_split_s_per_round": {"views": 0.05, "transactions": 0.2, "logic": 0.03},
    }
    console = Console(width=160, record=True)
    for table in _tables(dict.fromkeys(names, row)):
        console.print(table)
    text = console.export_text()
    for name in names:
        assert f" {name} " in text
    for header in (*PARTS, "ms/view", "logic", "work ratio"):
        assert f" {header} " in text


def test_benchmark_files_say_which_machine_measured_them(tmp_path: Path) -> None:
    """Ratios depend on the CPU as much as on the code: each JSON file names its machine."""
    import json
    import os

    import torch

    from fedledger.bench.output import write_result

    out = tmp_path / "deeper" / "bench.json"
    result = {"ratio": 1.1}
    write_result(out, result)
    data = json.loads(out.read_text())
    assert data == result and data["ratio"] == 1.1  # the caller's numbers carry the machine too
    machine = data["machine"]
    assert machine["logical_cpus"] == os.cpu_count() and machine["usable_cpus"] >= 1 and machine["cpu"]
    assert machine["torch"] == torch.__version__ and machine["torch_threads"] == torch.get_num_threads()
    assert machine["measured_at"].endswith("+00:00")
    unsaved = {"ratio": 1.2}
    write_result(None, unsaved)  # no path: nothing written, no error
    assert unsaved["machine"]["cpu"] == machine["cpu"]
