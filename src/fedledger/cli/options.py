"""Option helpers shared by several commands (passwords, deployments)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import typer

from fedledger.core.errors import ConfigError
from fedledger.core.paths import default_home

PASSWORD_ENV = "FEDLEDGER_PASSWORD"


def read_password(password_file: Path | None, *, confirm: bool = False) -> str:
    """A keystore password from a file, the `FEDLEDGER_PASSWORD` variable, or a hidden prompt."""
    if password_file is not None:
        try:
            return password_file.read_text(encoding="utf-8").rstrip("\n")
        except OSError as exc:
            raise ConfigError(f"cannot read password file {password_file}: {exc.strerror}") from exc
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    return str(typer.prompt("Keystore password", hide_input=True, confirmation_prompt=confirm))


def default_deployment() -> Path:
    """Where `fedledger chain` writes, and every other command reads, the deployment file."""
    return default_home() / "deployment.json"


@dataclass(frozen=True)
class Deployment:
    """Where the contracts of one chain live; written by `fedledger chain`, read by the rest."""

    rpc_url: str
    chain_id: int
    token: str
    factory: str

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> Deployment:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**data)
        except FileNotFoundError as exc:
            raise ConfigError(
                f"no deployment file at {path}: start a chain with `fedledger chain` or pass --deployment"
            ) from exc
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"deployment file {path} is not valid: {exc}") from exc
