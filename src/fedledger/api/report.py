"""`ReportSource`: the `report.json` of a finished demo, normalised for the page.

Why normalise: an Alliance demo writes `SimReport.to_dict()`, an Arena demo writes
`ArenaReport.to_dict()` with the derived Alliance task nested in it; the page draws the same
accuracy and balance plots from either. The file is re-read when it changes, so pointing the
dashboard at a demo's output directory shows the latest run.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from fedledger.api.models import ReportParticipant, ReportRound, ReportView
from fedledger.core.errors import ConfigError


class ReportSource:
    """One report file, parsed on first use and again whenever its modification time changes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._loaded: tuple[float, ReportView] | None = None

    def load(self) -> ReportView:
        """The parsed report; `ConfigError` naming the file when it is missing or not a report."""
        try:
            mtime = self.path.stat().st_mtime
        except OSError as exc:
            raise ConfigError(f"cannot read report {self.path}: {exc.strerror}; pass the report.json a demo wrote") from exc
        with self._lock:
            if self._loaded is not None and self._loaded[0] == mtime:
                return self._loaded[1]
            try:
                raw = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                raise ConfigError(f"report {self.path} is not readable JSON: {exc}") from exc
            view = parse_report(raw, str(self.path))
            self._loaded = (mtime, view)
            return view


def parse_report(raw: Any, path: str) -> ReportView:
    """A `ReportView` from the JSON of an Alliance or Arena report."""
    if not isinstance(raw, dict):
        raise ConfigError(f"report {path} must be a JSON object, got {type(raw).__name__}")
    try:
        if "trainers" in raw and "validators" in raw:
            return _arena(raw, path)
        return _alliance(raw, path)
    except (PydanticValidationError, KeyError, TypeError) as exc:
        raise ConfigError(f"report {path} does not look like a fedledger demo report: {_short(exc)}") from exc


def _alliance(raw: dict[str, Any], path: str) -> ReportView:
    for key in ("participants", "rounds"):
        if key not in raw:
            raise ConfigError(f"report {path} does not look like a fedledger demo report: it has no {key!r}")
    rounds = [ReportRound.model_validate(r) for r in raw["rounds"]]
    return ReportView(
        kind="alliance", path=path, task_address=str(raw.get("task_address", "")),
        participants=[ReportParticipant.model_validate(p) for p in raw["participants"]],
        rounds=rounds,
        baseline_accuracy=list(raw.get("baseline_accuracy") or []),
        honest_baseline_accuracy=list(raw.get("honest_baseline_accuracy") or []),
        final_accuracy=raw.get("final_accuracy", rounds[-1].accuracy if rounds else None),
        final_baseline_accuracy=raw.get("final_baseline_accuracy"),
        conservation_ok=raw.get("conservation_ok"), wall_s=float(raw.get("wall_s", 0.0)),
        config=dict(raw.get("config") or {}),
        honest_slashed=list(raw.get("honest_slashed") or []),
        adversaries_slashed=list(raw.get("adversaries_slashed") or []),
    )


def _arena(raw: dict[str, Any], path: str) -> ReportView:
    """The derived Alliance task of an Arena report; the validators are its participants list."""
    alliance = raw.get("alliance") or {}
    rounds = [
        ReportRound(
            round=int(r["round"]), accuracy=float(r["accuracy"]), proposers=list(r.get("proposers", [])),
            verdicts={a: ("accepted" if a in r.get("accepted", []) else "rejected") for a in r.get("proposers", [])},
            global_model_hash=str(r.get("global_model_hash", "")),
        )
        for r in alliance.get("rounds", [])
    ]
    participants = [
        ReportParticipant(address=str(v["address"]), behaviour=str(v.get("behaviour", "")),
                          adversarial=bool(v.get("adversarial", False)),
                          net_change=int(v.get("reward", 0)) - int(v.get("slashed", 0)))
        for v in raw["validators"]
    ]
    return ReportView(
        kind="arena", path=path, task_address=str(alliance.get("address", raw.get("task_address", ""))),
        participants=participants, rounds=rounds, baseline_accuracy=[],
        final_accuracy=rounds[-1].accuracy if rounds else None, final_baseline_accuracy=None,
        conservation_ok=raw.get("conservation_ok"), wall_s=float(raw.get("wall_s", 0.0)),
        config=dict(raw.get("config") or {}),
        honest_slashed=list(raw.get("honest_validators_slashed") or []),
        adversaries_slashed=list(raw.get("adversaries_slashed") or []),
    )


def _short(exc: Exception) -> str:
    text = str(exc).replace("\n", " ")
    return text if len(text) < 300 else text[:297] + "..."
