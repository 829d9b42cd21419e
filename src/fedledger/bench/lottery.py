"""Gas of the ArenaTask validator lottery, and the selection frequency of a 4x stake.

Why: the live network this mirrors had about 1,000 validators and 600 training nodes, so one
draw must stay cheap as validators grow; the Fenwick tree makes a pick O(log n). This bench
registers 10 / 100 / 1,000 validators in a real ArenaTask on the embedded chain, draws `k`
validators for several submissions (one `drawValidators(1)` transaction each) and records the
receipts' `gasUsed`. It then runs many single draws through `SumTreeMock` (the same library, in
one `eth_call`) over validators of stake 1 and 4 and reports the frequency ratio: with
w(s) = sqrt(s) it should be about 2 (diminishing returns), not 4.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import log2
from pathlib import Path
from statistics import mean
from typing import Any

from eth_account import Account
from rich.console import Console
from rich.table import Table

from fedledger.bench.output import write_result
from fedledger.chain import ChainClient
from fedledger.chain.arena import ArenaTaskClient
from fedledger.chain.factory import deploy_stack
from fedledger.core.errors import ValidationError
from fedledger.core.records import ArenaConfig
from fedledger.core.units import TOKEN

TX_GAS = 400_000
#: A validator registration writes up to log2(maxValidators) fresh Fenwick nodes (22k gas each).
REGISTER_GAS = 1_000_000
DRAW_GAS = 2_000_000


def _batch(client: ChainClient, calls: list[tuple[Any, Any]], gas: int = TX_GAS) -> list[int]:
    hashes = [client.send(fn, sender, gas=gas) for fn, sender in calls]
    return [int(r["gasUsed"]) for r in client.wait_all(hashes)]


def measure_draw_gas(n: int, k: int = 5, submissions: int = 6) -> dict[str, Any]:
    """Register `n` validators (stakes 1..4 tokens, cycling) and `submissions` trainers; draw each
    submission in its own transaction; return mean/max gas per draw and per picked validator."""
    if n < 1 or not 1 <= k <= 16 or submissions < 1:
        raise ValidationError(f"need n >= 1, 1 <= k <= 16 and submissions >= 1 (got n={n}, k={k}, submissions={submissions})")
    client = ChainClient.embedded()
    owner = client.dev_accounts()[0]
    stack = deploy_stack(client, owner)
    creator = client.dev_accounts()[1]
    stack.token.mint(creator.address, 10**24, owner)
    config = ArenaConfig(
        spec_hash=b"\x01" * 32, eval_set_hash=b"\x02" * 32, reward_pool=1000 * TOKEN, trainer_stake=TOKEN,
        validator_stake=TOKEN, creator_stake=100 * TOKEN, max_trainers=submissions, max_validators=max(n, 1),
        validators_per_submission=k, max_validations_per_validator=1000, submission_window=10**6,
        commit_window=10**6, reveal_window=10**6, max_duration=4 * 10**6,
    )
    task: ArenaTaskClient = stack.factory.create_arena_task(config, creator)
    people = [Account.create() for _ in range(n + submissions)]
    client.wait_all([client.send_eth(p.address, 10**19, owner) for p in people])
    validators, trainers = people[:n], people[n:]
    stakes = [TOKEN * (1 + i % 4) for i in range(n)]
    tok = stack.token.contract.functions
    _batch(client, [(tok.mint(v.address, s), owner) for v, s in zip(validators, stakes, strict=True)]
           + [(tok.mint(t.address, TOKEN), owner) for t in trainers])
    _batch(client, [(tok.approve(task.address, s), v) for v, s in zip(validators, stakes, strict=True)]
           + [(tok.approve(task.address, TOKEN), t) for t in trainers])
    register = _batch(client, [(task.fn.registerValidator(s), v) for v, s in zip(validators, stakes, strict=True)],
                      gas=REGISTER_GAS)
    _batch(client, [(task.fn.registerTrainer(), t) for t in trainers])
    _batch(client, [(task.fn.submitModel(bytes([i + 1]) * 32), t) for i, t in enumerate(trainers)])
    client.advance_time(config.submission_window + 1)
    draws = [_batch(client, [(task.fn.drawValidators(1), owner)], gas=DRAW_GAS)[0] for _ in range(submissions)]
    picks = min(k, n)
    return {
        "validators": n,
        "k": k,
        "submissions": submissions,
        "log2_n": round(log2(n), 2) if n > 0 else 0,
        "register_validator_mean_gas": round(mean(register)),
        "register_validator_max_gas": max(register),
        "draw_mean_gas": round(mean(draws)),
        "draw_max_gas": max(draws),
        "draw_first_gas": draws[0],
        "per_pick_mean_gas": round(mean(draws) / picks),
    }


def stake_frequency(rounds: int = 4000, per_group: int = 5) -> dict[str, Any]:
    """`per_group` validators with stake 1 and `per_group` with stake 4; `rounds` single draws in
    one eth_call through SumTreeMock; the ratio of mean selection counts (expected 2.0 for sqrt)."""
    if rounds < 1 or per_group < 1:
        raise ValidationError(f"rounds and per_group must be >= 1, got {rounds}, {per_group}")
    client = ChainClient.embedded()
    owner = client.dev_accounts()[0]
    stakes = [TOKEN] * per_group + [4 * TOKEN] * per_group
    mock = client.deploy("SumTreeMock", len(stakes), sender=owner)
    client.transact(mock.functions.setStakes(0, stakes, 0), owner)
    counts: list[int] = [0] * len(stakes)
    chunk = 1000  # keep each eth_call well under the block gas limit
    for start in range(0, rounds, chunk):
        seed = start.to_bytes(32, "big")
        part = client.call(mock.functions.drawMany(seed, 1, min(chunk, rounds - start)))
        counts = [a + int(b) for a, b in zip(counts, part, strict=True)]
    low = mean(counts[:per_group])
    high = mean(counts[per_group:])
    return {
        "rounds": rounds,
        "stakes_tokens": [s // TOKEN for s in stakes],
        "counts": counts,
        "mean_count_stake_1": low,
        "mean_count_stake_4": high,
        "frequency_ratio_4x_stake": round(high / low, 3) if low else None,
        "expected_ratio_sqrt": 2.0,
    }


def run_lottery(
    sizes: Sequence[int] = (10, 100, 1000),
    k: int = 5,
    submissions: int = 6,
    rounds: int = 4000,
    out: Path | None = None,
) -> dict[str, Any]:
    """Measure draw gas for every size in `sizes` and the 4x-stake frequency; print, write JSON to `out`."""
    results = [measure_draw_gas(n, k=k, submissions=submissions) for n in sizes]
    freq = stake_frequency(rounds=rounds)
    report: dict[str, Any] = {"bench": "lottery", "k": k, "draw_gas": results, "frequency": freq}
    table = Table(title=f"ArenaTask lottery gas (k={k}, one drawValidators(1) per submission)")
    for col in ("validators", "log2 n", "registerValidator", "draw mean", "draw max", "per pick"):
        table.add_column(col, justify="right")
    for r in results:
        table.add_row(str(r["validators"]), str(r["log2_n"]), f"{r['register_validator_mean_gas']:,}",
                      f"{r['draw_mean_gas']:,}", f"{r['draw_max_gas']:,}", f"{r['per_pick_mean_gas']:,}")
    console = Console(width=160)
    console.print(table)
    console.print(
        f"4x stake: selected {freq['mean_count_stake_4']:.1f} vs {freq['mean_count_stake_1']:.1f} times "
        f"in {freq['rounds']} draws -> ratio {freq['frequency_ratio_4x_stake']} (sqrt weight expects 2.0)"
    )
    write_result(out, report, sort_keys=True)
    return report
