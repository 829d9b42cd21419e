"""The CLI surface that needs no training: keystores, deploying to a real node, error exits."""

from __future__ import annotations

import json
import socket
import stat
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from fedledger.chain.anvil import DEV_PORT, port_is_free
from fedledger.chain.client import ChainClient
from fedledger.chain.factory import FactoryClient, deploy_stack
from fedledger.cli.main import app
from fedledger.cli.options import Deployment
from fedledger.core.errors import ValidationError
from fedledger.node.specs import fetch_spec, fetch_validation_set
from fedledger.storage.local import LocalStore

runner = CliRunner()


def test_keys_new_writes_an_encrypted_keystore_and_prints_only_the_address(tmp_path: Path) -> None:
    password = tmp_path / "pw"
    password.write_text("correct horse\n")
    keyfile = tmp_path / "node.json"
    result = runner.invoke(app, ["keys", "new", str(keyfile), "--password-file", str(password)])
    assert result.exit_code == 0, result.output
    address = result.output.strip()
    assert address.startswith("0x") and len(address) == 42
    assert stat.S_IMODE(keyfile.stat().st_mode) == 0o600
    stored = json.loads(keyfile.read_text())
    assert "crypto" in stored and "privatekey" not in json.dumps(stored).lower()

    again = runner.invoke(app, ["keys", "address", str(keyfile), "--password-file", str(password)])
    assert again.exit_code == 0 and again.output.strip() == address


def test_wrong_password_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.write_text("right")
    bad.write_text("wrong")
    keyfile = tmp_path / "node.json"
    assert runner.invoke(app, ["keys", "new", str(keyfile), "--password-file", str(good)]).exit_code == 0
    result = runner.invoke(app, ["keys", "address", str(keyfile), "--password-file", str(bad)])
    assert result.exit_code != 0
    assert "error:" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("no keystore", "does not exist; create one with `fedledger keys new"),
        ("wrong password", "wrong password"),
        ("no data file", "data file"),
        ("unknown behaviour", "unknown behaviour 'sneaky'"),
    ],
)
def test_node_run_reports_local_mistakes_before_contacting_the_node(tmp_path: Path, case: str, expected: str) -> None:
    """The RPC URL points at a closed port: had the node been contacted first, every case
    would fail with "cannot reach a JSON-RPC node" instead of naming the local mistake."""
    password, wrong = tmp_path / "pw", tmp_path / "wrong"
    password.write_text("right")
    wrong.write_text("wrong")
    keyfile = tmp_path / "node.json"
    assert runner.invoke(app, ["keys", "new", str(keyfile), "--password-file", str(password)]).exit_code == 0
    args = {
        "--task": "0x" + "11" * 20, "--rpc-url": "http://127.0.0.1:9", "--keystore": str(keyfile),
        "--password-file": str(password), "--state-dir": str(tmp_path / "state"),
    }
    if case == "no keystore":
        args["--keystore"] = str(tmp_path / "missing.json")
    elif case == "wrong password":
        args["--password-file"] = str(wrong)
    elif case == "no data file":
        args["--data"] = str(tmp_path / "missing.csv")
    else:
        args["--behaviour"] = "sneaky"
    result = runner.invoke(app, ["node", "run", *[x for kv in args.items() for x in kv]])
    assert result.exit_code != 0
    output = " ".join(result.output.split())
    assert expected in output and "JSON-RPC" not in output and "Traceback" not in output


def test_task_create_refuses_zero_rounds_with_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["task", "create", "--rounds", "0", "--deployment", str(tmp_path / "none.json")])
    assert result.exit_code == 2
    output = " ".join(result.output.split())
    assert "--rounds" in output and "greater than or equal to 1" in output and "Traceback" not in output


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["bench", "overhead", "--repeats", "0"], "greater than or equal to 1"),
        (["bench", "attacks", "--fractions", "x"], "'x' is not a comma-separated list of floats"),
        (["bench", "attacks", "--fractions", ","], "give at least one value"),
        (["bench", "gas", "--sizes", "10,lots"], "not a comma-separated list of ints"),
        (["bench", "scale", "--participants", "2"], "--participants"),
        (["fund", "0x" + "11" * 20, "--eth", "-1"], "greater than or equal to 0"),
    ],
)
def test_bad_command_line_values_are_usage_errors_not_tracebacks(argv: list[str], expected: str) -> None:
    result = runner.invoke(app, argv)
    assert result.exit_code == 2
    output = " ".join(result.output.split())
    assert expected in output and "Traceback" not in output


def test_a_task_that_is_not_an_address_and_negative_eth_are_refused_before_any_transaction() -> None:
    client = ChainClient.embedded()
    owner = client.dev_accounts()[0]
    stack = deploy_stack(client, owner)
    with pytest.raises(ValidationError, match="not an Ethereum address: 'nope'"):
        stack.factory.task("nope")
    with pytest.raises(ValidationError, match="negative amount of ETH"):
        client.send_eth(owner.address, -1, owner)


def test_an_output_path_that_cannot_be_written_is_named_not_a_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = runner.invoke(app, ["data", "split", str(blocker / "shares"), "--clients", "2"])
    assert result.exit_code == 8
    output = " ".join(result.output.split())
    assert str(blocker) in output and "Traceback" not in output


def test_keys_new_never_replaces_a_keystore(tmp_path: Path) -> None:
    password = tmp_path / "pw"
    password.write_text("pw")
    keyfile = tmp_path / "node.json"
    assert runner.invoke(app, ["keys", "new", str(keyfile), "--password-file", str(password)]).exit_code == 0
    before = keyfile.read_bytes()
    again = runner.invoke(app, ["keys", "new", str(keyfile), "--password-file", str(password)])
    assert again.exit_code != 0 and "replacing it would lose the key" in " ".join(again.output.split())
    assert keyfile.read_bytes() == before


def test_node_run_finds_its_node_in_the_deployment_file(tmp_path: Path) -> None:
    password = tmp_path / "pw"
    password.write_text("right")
    keyfile = tmp_path / "node.json"
    assert runner.invoke(app, ["keys", "new", str(keyfile), "--password-file", str(password)]).exit_code == 0
    common = ["node", "run", "--task", "0x" + "11" * 20, "--keystore", str(keyfile), "--password-file", str(password),
              "--state-dir", str(tmp_path / "state")]
    missing = runner.invoke(app, [*common, "--deployment", str(tmp_path / "none.json")])
    assert missing.exit_code != 0 and "pass --rpc-url, or start a chain" in " ".join(missing.output.split())
    deployment = tmp_path / "deployment.json"
    Deployment(rpc_url="http://127.0.0.1:9", chain_id=31337, token="0x" + "22" * 20, factory="0x" + "33" * 20).save(deployment)
    unreachable = runner.invoke(app, [*common, "--deployment", str(deployment)])
    assert unreachable.exit_code != 0
    assert "cannot reach a JSON-RPC node at http://127.0.0.1:9" in " ".join(unreachable.output.split())


@pytest.mark.integration
def test_chain_command_starts_anvil_on_the_dev_port_or_a_free_one(tmp_path: Path) -> None:
    """8545 is held here for the test, so the command must fall back and record where it went."""
    deployment = tmp_path / "deployment.json"
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        held = port_is_free(DEV_PORT)
        if held:
            holder.bind(("127.0.0.1", DEV_PORT))
            holder.listen()
        assert not port_is_free(DEV_PORT)
        result = runner.invoke(app, ["chain", "--no-serve", "--deployment", str(deployment)])
    assert result.exit_code == 0, result.output
    assert f"port {DEV_PORT} is taken" in result.output
    recorded = json.loads(deployment.read_text())
    assert recorded["rpc_url"].startswith("http://127.0.0.1:") and not recorded["rpc_url"].endswith(f":{DEV_PORT}")


def test_port_is_free_tells_a_bound_port_from_a_free_one() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert not port_is_free(port)
    assert port_is_free(port)


@pytest.mark.integration
def test_chain_command_deploys_to_a_real_node_and_records_addresses(tmp_path: Path, anvil_url: str) -> None:
    deployment = tmp_path / "deployment.json"
    result = runner.invoke(app, ["chain", "--rpc-url", anvil_url, "--deployment", str(deployment)])
    assert result.exit_code == 0, result.output
    recorded = json.loads(deployment.read_text())
    assert recorded["rpc_url"] == anvil_url and recorded["chain_id"] == 31337
    assert recorded["token"] != recorded["factory"]


@pytest.mark.integration
def test_task_create_show_list_on_a_real_node(tmp_path: Path, anvil_url: str) -> None:
    deployment = tmp_path / "deployment.json"
    store = tmp_path / "blobs"
    assert runner.invoke(app, ["chain", "--rpc-url", anvil_url, "--deployment", str(deployment)]).exit_code == 0
    validation = tmp_path / "public.npz"
    rng = np.random.default_rng(0)
    np.savez(validation, x=rng.random((30, 64), dtype=np.float32), y=rng.integers(0, 10, 30))
    created = runner.invoke(
        app,
        ["task", "create", "--deployment", str(deployment), "--dev-account", "0", "--mint",
         "--storage", str(store), "--rounds", "2", "--reward", "50", "--validation", str(validation)],
    )
    assert created.exit_code == 0, created.output
    assert "warning" not in created.output  # the digits-mlp preset trains as the vote rule was calibrated
    address = created.output.strip().splitlines()[-1]
    assert address.startswith("0x")
    assert any(store.rglob("bafkrei*")), "the spec blob is in the store"
    factory = FactoryClient.at(ChainClient.connect(anvil_url), json.loads(deployment.read_text())["factory"])
    spec_hash = factory.task(address).config().spec_hash
    published = fetch_spec(LocalStore(store), spec_hash)
    assert published.validation is not None and published.validation.num_samples == 30
    assert published.learning_rate_schedule.kind == "cosine" and published.learning_rate_schedule.rounds == 2
    public = fetch_validation_set(LocalStore(store), published)
    assert public is not None and len(public) == 30

    shown = runner.invoke(app, ["task", "show", address, "--deployment", str(deployment)])
    assert shown.exit_code == 0, shown.output
    info = json.loads(shown.output)
    assert info["status"] == "JOINING" and info["rounds"] == 2 and info["pool_fml"] == 50.0 and info["ejected"] == []
    assert info["spec"].startswith("bafkrei")
    full = json.loads(runner.invoke(app, ["task", "show", address, "--deployment", str(deployment), "--full"]).output)
    assert full["detail"]["address"] == address and full["detail"]["status"] == "joining"
    assert full["round_details"] == []  # no round started yet

    listed = runner.invoke(app, ["task", "list", "--deployment", str(deployment)])
    assert listed.exit_code == 0 and address[:10] in listed.output


def test_invalid_spec_file_names_the_field(tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"model": {"name": "mlp"}, "local_epochs": -1}))
    deployment = tmp_path / "deployment.json"
    deployment.write_text(json.dumps({"rpc_url": "http://127.0.0.1:9", "chain_id": 1, "token": "0x0", "factory": "0x0"}))
    result = runner.invoke(app, ["task", "create", "--spec", str(spec), "--deployment", str(deployment), "--dev-account", "0"])
    assert result.exit_code == 3, result.output
    assert "local_epochs" in result.output


def test_missing_deployment_says_how_to_get_one(tmp_path: Path) -> None:
    result = runner.invoke(app, ["task", "list", "--deployment", str(tmp_path / "none.json")])
    assert result.exit_code == 2 and "fedledger chain" in result.output


def test_demo_rejects_malformed_adversary_list() -> None:
    result = runner.invoke(app, ["demo", "--adversaries", "noise"])
    assert result.exit_code == 2 and "name=count" in result.output


@pytest.mark.integration
def test_fund_gives_eth_and_fml_on_a_dev_chain(tmp_path: Path, anvil_url: str) -> None:
    deployment = tmp_path / "deployment.json"
    assert runner.invoke(app, ["chain", "--rpc-url", anvil_url, "--deployment", str(deployment)]).exit_code == 0
    target = "0x000000000000000000000000000000000000dEaD"
    result = runner.invoke(app, ["fund", target, "--eth", "1", "--fml", "25", "--deployment", str(deployment)])
    assert result.exit_code == 0, result.output
    assert "25.00 FML" in result.output


def test_data_split_writes_shares_a_node_can_load(tmp_path: Path) -> None:
    from fedledger.learning.data import load_dataset
    from fedledger.learning.presets import digits_mlp_spec

    result = runner.invoke(app, ["data", "split", str(tmp_path), "--clients", "3", "--alpha", "0.5"])
    assert result.exit_code == 0, result.output
    schema = digits_mlp_spec().dataset
    sizes = [len(load_dataset(schema, path=tmp_path / f"node-{i}.npz").y) for i in range(3)]
    assert sum(sizes) == 1797 and min(sizes) > 0


def test_node_data_file_must_be_csv_or_npz(tmp_path: Path) -> None:
    from fedledger.core.errors import ValidationError
    from fedledger.learning.data import load_dataset
    from fedledger.learning.presets import digits_mlp_spec

    bogus = tmp_path / "data.pkl"
    bogus.write_bytes(b"\x80\x04not a pickle to load")
    with pytest.raises(ValidationError, match=r"\.csv or \.npz"):
        load_dataset(digits_mlp_spec().dataset, path=bogus)


@pytest.mark.slow
def test_demo_writes_report_and_plots(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["demo", "--participants", "4", "--rounds", "2", "--adversaries", "noise=1", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "report.json").read_text())
    assert len(report["rounds"]) == 2 and report["conservation_ok"] is True
    assert (tmp_path / "accuracy.png").stat().st_size > 0 and (tmp_path / "balances.png").stat().st_size > 0
    assert "token conservation holds" in " ".join(result.output.split())  # rich wraps at 80 columns
    assert "label-skewed" not in result.output  # the default skew is inside the calibrated range


@pytest.mark.slow
def test_demo_warns_before_a_run_more_skewed_than_the_vote_rule_was_calibrated_for(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["demo", "--participants", "4", "--rounds", "1", "--alpha", "0.1", "--adversaries", "", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "note: alpha 0.1 is more label-skewed than the vote rule was calibrated for (alpha >= 0.3)" in text
    assert text.index("note: alpha 0.1") < text.index("round 0")  # said before the results, not after


@pytest.mark.slow
def test_arena_demo_derives_an_alliance_task_from_the_winner(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--kind", "arena", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["alliance"]["starts_from_winner"] is True and report["conservation_ok"] is True
    assert (tmp_path / "leaderboard.png").exists()
    assert report["captured_submissions"] == [] and "note:" not in result.output  # seed 0: honest committees


@pytest.mark.slow
def test_arena_demo_explains_a_committee_the_adversaries_held(tmp_path: Path) -> None:
    """Seed 1 draws the liar and the lazy validator onto one submission with half its stake:
    the demo says so, with the honest score it overruled, instead of leaving an honest
    validator's slash unexplained."""
    result = runner.invoke(app, ["demo", "--kind", "arena", "--seed", "1", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (captured,) = json.loads((tmp_path / "report.json").read_text())["captured_submissions"]
    text = " ".join(result.output.split())
    assert f"note: submission #{captured['index']}: adversaries held" in text
    assert "the stake-weighted median was theirs to set" in text and "--validators-per-submission" in text


def test_a_benchmark_says_which_machine_measured_it(tmp_path: Path) -> None:
    out = tmp_path / "gas.json"
    result = runner.invoke(app, ["bench", "gas", "--sizes", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    machine = json.loads(out.read_text())["machine"]
    text = " ".join(result.output.split())
    assert f"measured on {machine['cpu']} ({machine['usable_cpus']} usable CPUs" in text and f"wrote {out}" in text
