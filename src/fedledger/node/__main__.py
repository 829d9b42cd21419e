"""`python -m fedledger.node --rpc-url ... --keystore ... --password-file ... --task ... --data ...
--storage ... --state-dir ...`: one participant process, without the CLI package."""

from __future__ import annotations

import argparse
import json
import sys

from fedledger.core.errors import FedledgerError
from fedledger.core.paths import default_node_states
from fedledger.node.behaviours import BEHAVIOURS
from fedledger.node.memory import retain_freed_memory
from fedledger.node.participant import RETRY_FOR_S
from fedledger.node.runner import configure_logging, run_node


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fedledger.node", description=__doc__)
    parser.add_argument("--rpc-url", required=True)
    parser.add_argument("--keystore", required=True)
    parser.add_argument("--password-file", required=True)
    parser.add_argument("--task", required=True, help="AllianceTask address")
    parser.add_argument("--data", default=None, help="local data file (csv/npz) following the spec's schema")
    parser.add_argument("--storage", required=True, help="local store dir or Kubo URL")
    parser.add_argument("--state-dir", default=None,
                        help="crash-safe state (default: $FEDLEDGER_HOME/nodes/<task>/<account>, ~/.fedledger when unset)")
    parser.add_argument("--behaviour", default="honest", choices=sorted(BEHAVIOURS))
    parser.add_argument("--poll", type=float, default=0.5, help="seconds between polls when idle")
    parser.add_argument("--start-at", type=int, default=None, help="start round 0 once this many joined")
    parser.add_argument("--retry-for", type=float, default=RETRY_FOR_S,
                        help="seconds of failing steps in a row (node or store unreachable) before giving up")
    parser.add_argument("-v", "--verbose", action="store_true", help="also print the libraries' info messages")
    parser.add_argument("-q", "--quiet", action="store_true", help="print warnings only, not each action")
    args = parser.parse_args(argv)
    configure_logging(args.verbose, args.quiet)
    retain_freed_memory()
    try:
        summary = run_node(
            args.rpc_url, args.keystore, args.password_file, args.task, args.data, args.storage,
            args.state_dir, behaviour=args.behaviour, poll_s=args.poll, start_at=args.start_at,
            retry_for_s=args.retry_for, state_home=default_node_states(),
        )
    except FedledgerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
