"""Protocol overhead: wall time per round of the full protocol vs plain FedAvg, same task,
same partitions, same client sampling, same run (the baseline replays the protocol's rounds).

Protocol time is the time spent inside the nodes' `step()` calls (every node, one after
another, on one machine); plain FedAvg time is the replayed clients' local training plus the
averaging. Round 0 is left out when there are later rounds: it also holds joining, and in a
pioneering round only one client trains. The protocol time is broken down into training (the
part plain FedAvg pays too), voter evaluation, storage (serialise, hash, put/get blobs),
validation (every voter's shape, finiteness and norm checks of every update, which build the
update's delta to the global model on the way), aggregation (FedAvg of accepted updates,
direction screen, cosines), the public reference step (every voter trains the global model on
the spec's public set and runs one class-feature pass over it: vote rule step 6) and chain (EVM views and transactions plus the node's own
logic), and the chain part again into views, transactions and the node's own logic, with the
counts of both per round: this says where the overhead goes and what the embedded EVM costs
per transaction and per view. `reference_share` is the reference step's seconds over
plain FedAvg's: the part of the ratio the public-set defence alone costs, whatever the chain
does (per round it trains V voters x |public set| samples against P proposers x their
training samples).

Workloads: (1) digits MLP, 10 participants, 1 local epoch: fixed protocol seconds per round
and per participant (training is tiny, so this is nearly all protocol); (2) reference: the
~1M-parameter CNN on 1x28x28 images (`digits28aug`: jittered upscaled digits, which a CNN
learns, near-IID), 8 participants x >= 2000 training samples (after the global and the
local test splits; checked on every run), 1 local epoch: the ratio protocol / plain FedAvg.
The reference runs twice per chain: with the spec's public validation set (the default of a
simulated task: every voter also trains a reference step on its 150 samples, vote rule
step 6) and without one, so the cost of that defence is reported on its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from fedledger.bench.output import write_result
from fedledger.chain.anvil import AnvilNode
from fedledger.core.errors import ConfigError
from fedledger.sim.config import SimConfig
from fedledger.sim.engine import TIMED_PARTS, run_simulation

PARTS = (*TIMED_PARTS, "chain")
TARGET_RATIO = 1.10
"""BENCHMARKS.md's target on the embedded EVM (1.05 on a real node)."""
CHAIN_PARTS = ("views", "transactions", "logic")
"""The chain part split: views, transactions (estimate, sign, send, receipt) and the node's own
code around them."""
REFERENCE_PARTICIPANTS = 8
REFERENCE_MIN_TRAIN = 2000
"""BENCHMARKS.md: >= 2,000 training samples per participant."""
REFERENCE_SAMPLES = REFERENCE_PARTICIPANTS * 3300
"""20 % go to the global test set and 20 % of each share to the local test split, and the
near-IID Dirichlet split is uneven by a few percent: 3,300 per participant leaves every one
of them >= 2,065 training samples (2,600 left only ~1,650)."""


def _measure(config: SimConfig) -> dict[str, Any]:
    rep = run_simulation(config)
    records = rep.rounds[1:] if len(rep.rounds) > 1 else rep.rounds
    base = rep.baseline_round_s[1:] if len(rep.baseline_round_s) > 1 else rep.baseline_round_s
    rounds = len(records)
    protocol_s = sum(r.protocol_s for r in records)
    baseline_s = sum(base)
    tx_count = sum(r.transactions for r in records)
    train_s = sum(r.breakdown.get("train", 0.0) for r in records)
    breakdown = {part: sum(r.breakdown.get(part, 0.0) for r in records) / rounds for part in PARTS}
    overhead = (protocol_s - baseline_s) / rounds
    work_s = (protocol_s - train_s) / rounds
    views = sum(r.views for r in records)
    split = {part: sum(r.chain_split.get(part, 0.0) for r in records) / rounds for part in CHAIN_PARTS}
    return {
        "dataset": config.dataset,
        "participants": config.participants,
        "rounds_measured": rounds,
        "protocol_s_per_round": protocol_s / rounds,
        "baseline_s_per_round": baseline_s / rounds,
        "ratio": protocol_s / baseline_s if baseline_s else None,
        "protocol_work_ratio": (baseline_s + protocol_s - train_s) / baseline_s if baseline_s else None,
        "overhead_s_per_round": overhead,
        "protocol_work_s_per_round": work_s,
        "work_budget_s_per_round": (TARGET_RATIO - 1) * baseline_s / rounds,
        "overhead_s_per_round_per_participant": overhead / config.participants,
        "breakdown_s_per_round": breakdown,
        "reference_share": breakdown["reference"] / (baseline_s / rounds) if baseline_s else None,
        "transactions_per_round": tx_count / rounds,
        "chain_ms_per_transaction": 1000 * breakdown["chain"] / (tx_count / rounds) if tx_count else None,
        "chain_split_s_per_round": split,
        "views_per_round": views / rounds,
        "ms_per_view": 1000 * split["views"] * rounds / views if views else None,
        "ms_per_transaction": 1000 * split["transactions"] * rounds / tx_count if tx_count else None,
        "min_train_samples": min(p.num_train for p in rep.participants),
        "final_accuracy": rep.final_accuracy,
        "baseline_accuracy": rep.final_baseline_accuracy,
    }


def _reference(rounds: int, rpc_url: str | None = None, public_set: bool = True) -> SimConfig:
    return SimConfig(
        participants=REFERENCE_PARTICIPANTS, rounds=rounds, dataset="digits28aug", model="cnn", model_kwargs={},
        synthetic_samples=REFERENCE_SAMPLES, local_epochs=1, batch_size=32, learning_rate=1e-3, alpha=100.0,
        rpc_url=rpc_url, public_validation_samples=SimConfig.public_validation_samples if public_set else 0,
    )


def _median_of(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The repeat with the median ratio, plus every repeat's ratios (BENCHMARKS.md: report
    ratios as medians of repeats; the machine is shared and noisy)."""
    ordered = sorted(rows, key=lambda row: row["ratio"] or 0.0)
    median = dict(ordered[(len(ordered) - 1) // 2])
    median["ratios"] = [row["ratio"] for row in rows]
    median["protocol_work_ratios"] = [row["protocol_work_ratio"] for row in rows]
    return median


def _measure_reference(rounds: int, rpc_url: str | None = None, public_set: bool = True) -> dict[str, Any]:
    row = _measure(_reference(rounds, rpc_url, public_set))
    if row["min_train_samples"] < REFERENCE_MIN_TRAIN:
        raise ConfigError(
            f"reference workload has a participant with {row['min_train_samples']} training samples; "
            f"BENCHMARKS.md asks for >= {REFERENCE_MIN_TRAIN}: raise REFERENCE_SAMPLES"
        )
    return row


def _tables(result: dict[str, Any]) -> tuple[Table, Table]:
    """The headline ratios, then where each workload's protocol seconds per round go: two
    tables, so neither is so wide that the terminal cuts the workload names short."""
    ratios = Table(title="protocol overhead vs plain FedAvg (same run, one machine, rounds >= 1)")
    for col in ("workload", "protocol s/round", "FedAvg s/round", "ratio", "work ratio", "overhead s/round/node", "accuracy"):
        ratios.add_column(col, no_wrap=True, min_width=len(col), justify="left" if col == "workload" else "right")
    parts = Table(title="per round: protocol seconds by part; transactions and views, and the chain part's own logic (s)")
    for col in ("workload", *PARTS, "tx", "ms/tx", "views", "ms/view", "logic"):
        parts.add_column(col, no_wrap=True, min_width=len(col), justify="left" if col == "workload" else "right")
    for name, row in result.items():
        ratios.add_row(
            name, f"{row['protocol_s_per_round']:.2f}", f"{row['baseline_s_per_round']:.2f}",
            f"{row['ratio']:.3f}" if row["ratio"] else "-",
            f"{row['protocol_work_ratio']:.3f}" if row["protocol_work_ratio"] else "-",
            f"{row['overhead_s_per_round_per_participant']:.3f}", f"{row['final_accuracy']:.3f}",
        )
        breakdown = row["breakdown_s_per_round"]
        parts.add_row(
            name, *(f"{breakdown[p]:.2f}" for p in PARTS), f"{row['transactions_per_round']:.0f}",
            f"{row['ms_per_transaction']:.1f}" if row["ms_per_transaction"] else "-",
            f"{row['views_per_round']:.0f}",
            f"{row['ms_per_view']:.2f}" if row["ms_per_view"] else "-",
            f"{row['chain_split_s_per_round']['logic']:.2f}",
        )
    return ratios, parts


def run_overhead(
    out: Path | None = None,
    rounds: int = 3,
    reference: bool = True,
    digits_participants: int = 10,
    real_node: bool = True,
    repeats: int = 3,
) -> dict[str, Any]:
    """Measure both workloads on the embedded EVM and, with `real_node`, the reference workload
    again on an anvil node started here; print a rich table; write JSON to `out` if given.

    Each reference row is the median-ratio run of `repeats`. Besides the wall-clock ratio it
    reports `protocol_work_ratio` = (FedAvg time + the protocol's time outside training) /
    FedAvg time: both sides train byte-identical models, yet their training times differ by
    a few percent from run to run on a shared machine, which is the size of the margin the
    target leaves; this ratio takes that noise out (it would hide a protocol that slowed
    training itself down, which is why the wall-clock ratio stays the headline)."""
    result: dict[str, Any] = {
        "digits_mlp": _measure(SimConfig(participants=digits_participants, rounds=rounds, local_epochs=1)),
    }
    if reference:
        result["cnn_reference"] = _median_of([_measure_reference(rounds) for _ in range(repeats)])
        result["cnn_reference_no_public_set"] = _median_of(
            [_measure_reference(rounds, public_set=False) for _ in range(repeats)]
        )
        if real_node:
            for name, public_set in (("cnn_reference_anvil", True), ("cnn_reference_anvil_no_public_set", False)):
                rows = []
                for _ in range(repeats):
                    with AnvilNode() as node:  # a fresh chain each: the seeded accounts are funded anew
                        rows.append(_measure_reference(rounds, node.url, public_set))
                result[name] = _median_of(rows)
    console = Console(width=max(Console().width, 160))
    for table in _tables(result):
        console.print(table)
    for name, row in result.items():
        if name != "digits_mlp":
            # the budget scales with this machine's training speed, the work mostly does not
            console.print(
                f"{name}: protocol work {row['protocol_work_s_per_round']:.2f} s/round outside training; "
                f"a work ratio of {TARGET_RATIO:.2f} allows {row['work_budget_s_per_round']:.2f} s here"
            )
    write_result(out, result)
    return result
