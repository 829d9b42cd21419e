"""The page in headless Chromium: served by uvicorn on 127.0.0.1, rendered, its DOM checked.

Without `/usr/bin/chromium` the test skips locally, but FAILS when the `CI` variable is set,
so CI cannot silently lose the browser check (CI installs the Debian `chromium` package).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from fedledger.api import create_app
from tests.api.conftest import World

CHROMIUM = Path(os.environ.get("FEDLEDGER_CHROMIUM", "/usr/bin/chromium"))
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--window-size=1280,1400", "--virtual-time-budget=5000"]


@pytest.fixture(scope="module")
def chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {CHROMIUM} is missing: apt-get install -y chromium", pytrace=False)
    pytest.skip(f"{CHROMIUM} not installed (apt-get install -y chromium); this test fails instead of skipping when CI is set")


@pytest.fixture
def served(world: World, small_report: Path) -> Iterator[str]:
    """The app over the test chain and a small report; yields its base URL."""
    with serving(create_app(world.client, world.stack.factory.address, small_report, poll_interval_s=0.2)) as url:
        yield url


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """`app` on 127.0.0.1:<free port> in a uvicorn thread; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", ws_ping_interval=None))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        thread.join(0.01)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def render(chromium: Path, url: str, tmp: Path, screenshot: Path | None = None) -> str:
    args = [str(chromium), *FLAGS, f"--user-data-dir={tmp / 'profile'}"]
    args += [f"--screenshot={screenshot}"] if screenshot else ["--dump-dom"]
    done = subprocess.run([*args, url], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_page_renders_tasks_rounds_and_report(chromium: Path, served: str, world: World, tmp_path: Path) -> None:
    dom = render(chromium, served, tmp_path)
    assert 'id="error"' not in dom, re.search(r'id="error"[^<]*<', dom)
    assert world.task.address in dom and world.arena.address in dom  # the tasks table
    rounds = re.search(r'<table id="rounds-table".*?</table>', dom, re.S)
    assert rounds is not None
    assert len(re.findall(r'<tr data-round="\d+"', rounds.group(0))) == 2
    assert 'class="badge b-accepted">accepted' in rounds.group(0) and "> absent<" in rounds.group(0)  # slash reason
    assert 'class="badge b-committed">committed' in rounds.group(0)  # the absent voter's vote state
    assert "also proposer; its own bit does not count" in rounds.group(0)  # the pioneer votes too
    assert dom.count('aria-label="accuracy"') == 1 and dom.count("<polyline") >= 3  # accuracy + balance plots
    assert ">honest proposers only<" in dom  # the perfect-defence line of a run with adversaries
    report_rounds = re.search(r'<table id="report-rounds".*?</table>', dom, re.S)
    assert report_rounds is not None  # the report's rounds: verdicts, slashes, who sat out, gas
    rows = re.findall(r'<tr data-round="(\d+)".*?</tr>', report_rounds.group(0), re.S)
    assert rows == ["0", "1"]
    table = report_rounds.group(0)
    assert 'class="badge b-accepted">accepted' in table and "130,000" in table and "130,001" in table  # gas summed
    assert table.count("−1.00e-18") == 1 and table.count("> noise<") == 2  # slashed in round 1, then sitting out
    conn = re.search(r'<div id="conn"[^>]*>([^<]*)<', dom)
    assert conn is not None and "live" in conn.group(1)  # the event stream connected
    events = re.search(r'<table id="events-table".*?</table>', dom, re.S)
    assert events is not None and ">RoundStarted<" in events.group(0)  # recent events replayed


def test_screenshot_is_taken(chromium: Path, served: str, tmp_path: Path) -> None:
    png = Path(os.environ.get("FEDLEDGER_SCREENSHOT", tmp_path / "dashboard.png"))
    render(chromium, served, tmp_path, screenshot=png)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_an_arena_report_renders_without_inventing_balances_or_gas(chromium: Path, tmp_path: Path) -> None:
    """An Arena report records neither per-round balances nor per-round gas: the page says so
    and shows a dash, where it drew an empty chart and a gas of 0."""
    from tests.api.test_report import write_arena_report

    with serving(create_app(report_path=write_arena_report(tmp_path))) as url:
        dom = render(chromium, url, tmp_path)
    assert 'id="error"' not in dom
    assert "this report records no per-round balances" in dom
    rounds = re.search(r'<table id="report-rounds".*?</table>', dom, re.S)
    assert rounds is not None and re.search(r'<td class="num">–</td></tr>', rounds.group(0))
