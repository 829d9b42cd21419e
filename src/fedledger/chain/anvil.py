"""Start and stop a local anvil node (a real JSON-RPC EVM) for tests, benchmarks and `fedledger chain`.

anvil ships as a binary inside the npm package `@foundry-rs/anvil-linux-amd64`, so no
download happens at run time. We bind to 127.0.0.1 on a free port, wait until the node
answers `eth_chainId`, and kill exactly the process we started when done.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO

import requests

from fedledger.core.errors import ChainError, ConfigError

ANVIL_ENV = "FEDLEDGER_ANVIL"
ANVIL_RELATIVE = Path("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
ANVIL_CHAIN_ID = 31337
_REPO_ROOT = Path(__file__).resolve().parents[3]


def find_anvil(start: Path | None = None) -> Path:
    """Locate the anvil binary: $FEDLEDGER_ANVIL, else node_modules/ above the cwd or the repo."""
    env = os.environ.get(ANVIL_ENV)
    if env:
        path = Path(env)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise ConfigError(f"${ANVIL_ENV}={env} is not an executable file; fix or unset it")
    roots = [Path(start or Path.cwd()).resolve(), _REPO_ROOT]
    tried: list[str] = []
    for root in roots:
        for base in (root, *root.parents):
            candidate = base / ANVIL_RELATIVE
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
        tried.append(str(root))
    raise ConfigError(
        f"anvil binary not found ({ANVIL_RELATIVE} above {', '.join(tried)}); run `npm ci` in the "
        f"repository (scripts/setup.sh) or point ${ANVIL_ENV} at an anvil binary"
    )


DEV_PORT = 8545
"""The port dev nodes (anvil, hardhat, geth --dev) listen on by convention."""


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether `port` can be bound on `host` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free right now (tiny race window; anvil failing to bind is reported)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class AnvilNode:
    """Context manager running one anvil process; `url` is its HTTP JSON-RPC endpoint."""

    def __init__(
        self,
        binary: Path | None = None,
        port: int | None = None,
        chain_id: int = ANVIL_CHAIN_ID,
        block_time: float | None = None,
        startup_timeout_s: float = 30.0,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.binary = binary or find_anvil()
        self.host = "127.0.0.1"
        self.port = port or free_port(self.host)
        self.chain_id = chain_id
        self.block_time = block_time
        self.startup_timeout_s = startup_timeout_s
        self.extra_args = extra_args
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self) -> AnvilNode:
        """Launch anvil and block until it answers `eth_chainId`."""
        if self._proc is not None:
            raise ChainError("this AnvilNode is already running")
        cmd = [
            str(self.binary), "--host", self.host, "--port", str(self.port),
            "--chain-id", str(self.chain_id), "--silent",
        ]
        if self.block_time is not None:
            cmd += ["--block-time", str(self.block_time)]
        cmd += list(self.extra_args)
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._stderr)
        deadline = time.monotonic() + self.startup_timeout_s
        while True:
            code = self._proc.poll()
            if code is not None:
                err = self._read_stderr()
                self._cleanup()
                raise ChainError(f"anvil exited with code {code} at start-up ({' '.join(cmd)}): {err or '<no stderr>'}")
            if self._answers():
                return self
            if time.monotonic() > deadline:
                err = self._read_stderr()
                self.stop()
                raise ChainError(f"anvil did not answer on {self.url} within {self.startup_timeout_s:.0f} s: {err or '<no stderr>'}")
            time.sleep(0.05)

    def _answers(self) -> bool:
        try:
            resp = requests.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=1)
            return int(resp.json()["result"], 16) == self.chain_id
        except (requests.RequestException, ValueError, KeyError):
            return False

    def _read_stderr(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace").strip()[-2000:]

    def stop(self) -> None:
        """Kill the anvil process we started (by PID) and reap it."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        self._cleanup()

    def _cleanup(self) -> None:
        self._proc = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> AnvilNode:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
