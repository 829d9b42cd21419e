#!/usr/bin/env bash
# One-shot set-up on a fresh machine: Python venv with the package and its test extras,
# the pinned Solidity toolchain and the anvil node from npm. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# torch first and pinned: this CPU build lies on the machine; an unpinned torch pulls CUDA.
.venv/bin/python -m pip install --quiet "torch==2.13.0"
.venv/bin/python -m pip install --quiet -e ".[dev]"

# solcjs (pinned), OpenZeppelin Contracts and anvil, exactly as package-lock.json says.
npm ci --no-audit --no-fund --loglevel=error
