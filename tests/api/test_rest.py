"""REST endpoints against a real embedded chain: tasks, task detail, rounds, errors, OpenAPI."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from tests.api.conftest import AGGREGATE, TOKEN, UPDATE, World


def test_health_reports_chain_and_report(app_client: Any, world: World) -> None:
    body = app_client.get("/api/health").json()
    assert body["status"] == "ok"
    assert body["chain"]["factory"] == world.stack.factory.address
    assert body["chain"]["block_number"] == world.client.block_number()
    assert body["report"].endswith("report.json")


def test_tasks_lists_alliance_and_arena(app_client: Any, world: World) -> None:
    tasks = {t["address"]: t for t in app_client.get("/api/tasks").json()}
    assert set(tasks) == {world.task.address, world.arena.address}
    alliance = tasks[world.task.address]
    assert (alliance["kind"], alliance["status"], alliance["participants"]) == ("alliance", "training", 4)
    assert (alliance["rounds"], alliance["rounds_started"]) == (2, 2)
    assert alliance["held"] == world.task.pool() and alliance["reward_pool"] == 100 * TOKEN
    assert tasks[world.arena.address]["kind"] == "arena"


def test_task_detail_has_participants_stakes_and_balances(app_client: Any, world: World) -> None:
    detail = app_client.get(f"/api/tasks/{world.task.address}").json()
    assert detail["global_model_hash"] == "0x" + AGGREGATE.hex()
    by = {p["address"]: p for p in detail["participant_list"]}
    for m in world.members:
        info = world.task.participant_info(m.address)
        assert (by[m.address]["stake"], by[m.address]["claimable"]) == (info.stake, info.claimable)
    series = {b["address"]: b["values"] for b in detail["balances"]}
    for i, m in enumerate(world.members):
        info = world.task.participant_info(m.address)
        assert series[m.address] == [(i + 2) * TOKEN, info.stake + info.claimable]
    assert detail["config"]["rounds"] == 2 and detail["config"]["spec_hash"] == "0x" + "5e" * 32


def test_lower_case_address_resolves_to_the_task(app_client: Any, world: World) -> None:
    detail = app_client.get(f"/api/tasks/{world.task.address.lower()}").json()
    assert detail["address"] == world.task.address


def test_rounds_show_roles_verdicts_votes_and_settlement(app_client: Any, world: World) -> None:
    rounds = app_client.get(f"/api/tasks/{world.task.address}/rounds").json()
    assert [r["round"] for r in rounds] == [0, 1]
    r0, r1 = rounds
    info = world.task.round_info(0)
    assert [p["address"] for p in r0["proposers"]] == list(info.proposers)
    pioneer = r0["proposers"][0]
    assert (pioneer["verdict"], pioneer["update_hash"], pioneer["num_samples"]) == ("accepted", "0x" + UPDATE.hex(), 120)
    votes = {v["voter"]: v for v in r0["voters"]}
    assert len(votes) == 4 and world.absent_voter in votes and pioneer["address"] in votes  # the pioneer votes too
    absent = votes.pop(world.absent_voter)
    assert (absent["state"], absent["slash_reason"], absent["accept_bitmap"]) == ("committed", "absent", None)
    joined = {m.address: (i + 2) * TOKEN for i, m in enumerate(world.members)}
    assert absent["slashed"] == joined[world.absent_voter] // 10  # absent_slash_bps = 1000
    assert all(v["state"] == "revealed" and v["accept_bitmap"] == 1 and v["reward"] > 0 for v in votes.values())
    assert r0["finalized"] and r0["global_model_hash"] == "0x" + AGGREGATE.hex()
    assert r0["finalizer"] == world.creator.address and r0["rewards"][world.creator.address] == r0["finalizer_bonus"]
    assert [s["account"] for s in r0["slashes"]] == [world.absent_voter]
    assert not r1["finalized"] and r1["global_model_hash"] is None
    assert r1["proposers"] and all(p["verdict"] == "pending" for p in r1["proposers"])
    assert len(r1["voters"]) == 4 and {p["address"] for p in r1["proposers"]} <= {v["voter"] for v in r1["voters"]}


def test_arena_task_detail_and_no_rounds(app_client: Any, world: World) -> None:
    detail = app_client.get(f"/api/tasks/{world.arena.address}").json()
    assert (detail["kind"], detail["phase"], detail["submissions"]) == ("arena", "submission", [])
    res = app_client.get(f"/api/tasks/{world.arena.address}/rounds")
    assert res.status_code == 404 and "arena task" in res.json()["detail"]


def test_unknown_task_is_404(app_client: Any, world: World) -> None:
    for path in ("", "/rounds"):
        res = app_client.get(f"/api/tasks/0x{'12' * 20}{path}")
        assert res.status_code == 404
        assert "no task at" in res.json()["detail"] and world.stack.factory.address in res.json()["detail"]


def test_malformed_address_is_422(app_client: Any) -> None:
    for bad in ("0x1234", "not-an-address", "0x" + "g" * 40, "0x" + "1" * 41):
        res = app_client.get(f"/api/tasks/{bad}")
        assert res.status_code == 422, bad
        assert res.json()["detail"][0]["loc"] == ["path", "address"]


def test_openapi_schema_names_the_endpoints(app_client: Any) -> None:
    schema = app_client.get("/openapi.json").json()
    assert {"/api/health", "/api/tasks", "/api/tasks/{address}", "/api/tasks/{address}/rounds", "/api/report"} <= set(schema["paths"])
    assert "RoundView" in schema["components"]["schemas"]


def test_page_and_static_files_are_served(app_client: Any) -> None:
    page = app_client.get("/")
    assert page.status_code == 200 and 'id="rounds-table"' in page.text
    assert app_client.get("/static/app.js").status_code == 200
    assert "http" not in app_client.get("/static/style.css").text  # no CDN or remote fonts


def test_the_dashboard_does_not_load_torch() -> None:
    """The dashboard and its CLI command import only read-side modules (checked in a fresh interpreter)."""
    code = "import sys, fedledger.api, fedledger.cli.dashboard; sys.exit(int('torch' in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_rounds_list_ejected_participants_apart_from_the_voters(small_report: Any) -> None:
    """A voter that never commits loses 60 % of a stake equal to the requirement: it is ejected,
    so the next round lists it as sitting out, not as a voter."""
    from fastapi.testclient import TestClient

    from fedledger.api import create_app
    from fedledger.chain import ChainClient
    from fedledger.chain.factory import deploy_stack
    from fedledger.core.records import AllianceConfig

    client = ChainClient.embedded(beacon_seed=11)
    owner = client.dev_accounts()[0]
    stack = deploy_stack(client, owner)
    creator, *members = (client.new_account(10**20) for _ in range(5))
    cfg = AllianceConfig(spec_hash=b"\x5e" * 32, initial_model_hash=UPDATE, reward_pool=10 * TOKEN, stake_required=TOKEN,
                         min_participants=4, max_participants=4, rounds=3, absent_slash_bps=6000,
                         propose_window=600, commit_window=600, reveal_window=600)
    stack.token.mint(creator.address, cfg.reward_pool, owner)
    task = stack.factory.create_alliance_task(cfg, creator)
    by = {m.address: m for m in members}
    for m in members:
        stack.token.mint(m.address, TOKEN, owner)
        task.join(TOKEN, m)
    task.start_round(creator)
    info = task.round_info(0)
    for i, p in enumerate(info.proposers):
        task.submit_update(0, i, UPDATE, 10, by[p])
    absent = next(m for m in task.participants() if m not in info.proposers)
    present = [m for m in task.participants() if m != absent]  # every participant votes, proposers too
    for i, v in enumerate(present):
        task.commit_vote(0, task.vote_commitment(0, v, 1, AGGREGATE, bytes([i + 1]) * 32), by[v])
    client.advance_time(info.commit_deadline - client.now() + 1)
    for i, v in enumerate(present):
        task.reveal_vote(0, 1, AGGREGATE, bytes([i + 1]) * 32, by[v])
    client.advance_time(info.reveal_deadline - client.now() + 1)
    task.finalize_round(0, creator)
    assert task.is_ejected(absent)
    task.start_round(creator)

    app = create_app(client, stack.factory.address, small_report, cache_ttl_s=0.0, poll_interval_s=0.05)
    with TestClient(app) as api:
        r0, r1 = api.get(f"/api/tasks/{task.address}/rounds").json()
    assert r0["ejected"] == [] and absent in [v["voter"] for v in r0["voters"]]
    assert r1["ejected"] == [absent] and absent not in [v["voter"] for v in r1["voters"]]
    assert absent not in [p["address"] for p in r1["proposers"]]
    assert len(r1["voters"]) == 3 and {p["address"] for p in r1["proposers"]} <= {v["voter"] for v in r1["voters"]}
