"""`fedledger dashboard`: clear errors for missing inputs, and a real server started by the command."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
import typer
from typer.testing import CliRunner

from fedledger.cli.dashboard import dashboard
from fedledger.core.errors import ChainError, ConfigError
from tests.api.test_report import write_minimal_report

app = typer.Typer()
app.command()(dashboard)


def test_nothing_to_show_is_a_config_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, [], env={"FEDLEDGER_HOME": str(tmp_path)})
    assert result.exit_code == ConfigError.exit_code
    assert "nothing to show" in result.output


def test_missing_report_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    result = CliRunner().invoke(app, ["--report", str(missing)], env={"FEDLEDGER_HOME": str(tmp_path)})
    assert result.exit_code == ConfigError.exit_code and "nope.json" in result.output.replace("\n", "")  # rich wraps at 80


def test_unreachable_node_is_a_chain_error(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    deployment = tmp_path / "deployment.json"
    deployment.write_text(json.dumps({"rpc_url": f"http://127.0.0.1:{port}", "chain_id": 31337,
                                      "token": "0x" + "11" * 20, "factory": "0x" + "22" * 20}))
    result = CliRunner().invoke(app, ["--deployment", str(deployment)])
    assert result.exit_code == ChainError.exit_code and "cannot reach a JSON-RPC node" in " ".join(result.output.split())


def test_command_serves_the_report(tmp_path: Path) -> None:
    report = write_minimal_report(tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = "import typer, sys; from fedledger.cli.dashboard import dashboard; typer.run(dashboard)"
    env = {**os.environ, "FEDLEDGER_HOME": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-c", code, "--report", str(report), "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        body = None
        for _ in range(200):
            try:
                body = requests.get(f"http://127.0.0.1:{port}/api/report", timeout=2).json()
                break
            except requests.ConnectionError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                time.sleep(0.05)
        assert body is not None and body["final_accuracy"] == 0.7 and len(body["rounds"]) == 2
    finally:
        proc.terminate()
        proc.wait(10)
