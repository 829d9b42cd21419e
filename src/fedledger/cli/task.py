"""`fedledger task create|show|list`: publish a task spec and create an Alliance task on-chain."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from fedledger.chain.client import ChainClient
from fedledger.chain.factory import FactoryClient
from fedledger.cli.accounts import signer
from fedledger.cli.errors import handle_errors
from fedledger.cli.options import Deployment, default_deployment
from fedledger.core.errors import ConfigError
from fedledger.core.records import AllianceConfig
from fedledger.node.specs import publish_validation_set, spec_warnings
from fedledger.learning.data import load_dataset
from fedledger.learning.presets import digits28_cnn_spec, digits_mlp_spec
from fedledger.learning.spec import TaskSpec
from fedledger.storage.cid import cid_from_digest, digest_of
from fedledger.storage.open_store import open_store
from fedledger.core.units import TOKEN

app = typer.Typer(help="Create and inspect Alliance tasks.", no_args_is_help=True)
console = Console()

PRESETS = {"digits-mlp": digits_mlp_spec, "digits28-cnn": digits28_cnn_spec}

DeploymentOption = typer.Option(default_deployment(), help="Deployment file written by `fedledger chain`.")


def _factory(deployment: Path) -> tuple[Deployment, FactoryClient]:
    dep = Deployment.load(deployment)
    client = ChainClient.connect(dep.rpc_url)
    if client.chain_id != dep.chain_id:
        raise ConfigError(f"{dep.rpc_url} is chain {client.chain_id}, but {deployment} was deployed on chain {dep.chain_id}")
    return dep, FactoryClient.at(client, dep.factory)


def load_spec(spec_path: Path | None, preset: str, rounds: int | None = None) -> TaskSpec:
    """A spec from a JSON file (validated, errors name the field) or a named preset (whose
    learning rate decays over `rounds` when given)."""
    if spec_path is not None:
        try:
            return TaskSpec.from_json(spec_path.read_bytes())
        except OSError as exc:
            raise ConfigError(f"cannot read spec {spec_path}: {exc.strerror}") from exc
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    return PRESETS[preset](rounds=rounds)


@app.command()
@handle_errors
def create(
    spec: Path | None = typer.Option(None, help="Task spec JSON (see `fedledger task schema`)."),
    preset: str = typer.Option("digits-mlp", help=f"Spec preset when --spec is not given: {', '.join(PRESETS)}."),
    reward: float = typer.Option(300.0, help="Reward pool in FML (escrowed from the creator)."),
    stake: float = typer.Option(100.0, help="Stake each participant must lock, in FML."),
    rounds: int = typer.Option(5, min=1, help="FL rounds."),
    min_participants: int = typer.Option(3),
    max_participants: int = typer.Option(8),
    proposer_ratio_bps: int = typer.Option(3000, help="Share of participants proposing each round (basis points)."),
    window: int = typer.Option(600, help="Seconds for each of the propose, commit and reveal phases."),
    storage: str | None = typer.Option(None, help="Blob store: a directory or a Kubo URL (default ~/.fedledger/blobs)."),
    validation: Path | None = typer.Option(
        None,
        help="A small public validation set (CSV or NPZ in the spec's schema) to publish with the spec: "
        "voters score updates against a reference step trained on it, which stops label-flip updates.",
    ),
    deployment: Path = DeploymentOption,
    keystore: Path | None = typer.Option(None, help="Creator's keystore."),
    password_file: Path | None = typer.Option(None),
    dev_account: int | None = typer.Option(None, help="Use the node's dev account N (dev chains only)."),
    mint: bool = typer.Option(False, help="Mint the reward to the creator first (dev chains; token owner signs)."),
) -> None:
    """Publish the spec to storage and create an Alliance task whose pool is escrowed on-chain."""
    task_spec = load_spec(spec, preset, rounds)
    _, factory = _factory(deployment)
    creator = signer(factory.client, keystore, password_file, dev_account)
    store = open_store(storage)
    if validation is not None:
        task_spec = publish_validation_set(store, task_spec, load_dataset(task_spec.dataset, validation))
        console.print(f"validation set {task_spec.validation.hash} ({task_spec.validation.num_samples} samples)")  # type: ignore[union-attr]
    for warning in spec_warnings(task_spec, rounds):
        console.print(f"[yellow]warning:[/] {warning}")
    spec_cid = store.put(task_spec.canonical_json())
    config = AllianceConfig(
        spec_hash=digest_of(spec_cid),
        reward_pool=int(reward * TOKEN),
        stake_required=int(stake * TOKEN),
        rounds=rounds,
        min_participants=min_participants,
        max_participants=max_participants,
        proposer_ratio_bps=proposer_ratio_bps,
        propose_window=window,
        commit_window=window,
        reveal_window=window,
    )
    if mint:
        factory.token.mint(creator.address, config.reward_pool, factory.client.dev_accounts()[0])
    task = factory.create_alliance_task(config, creator)
    console.print(f"spec {spec_cid}")
    typer.echo(task.address)


@app.command()
@handle_errors
def show(
    address: str = typer.Argument(...),
    deployment: Path = DeploymentOption,
    full: bool = typer.Option(
        False, "--full", help="Also each participant's stake and rewards and each round's roles, verdicts and slashes "
        "(what the dashboard's REST API serves)."
    ),
) -> None:
    """Status, configuration and current round of one task."""
    dep, factory = _factory(deployment)
    task = factory.task(address)
    cfg = task.config()
    current = task.current_round()
    summary = {
        "address": task.address,
        "status": task.status().name,
        "creator": task.creator(),
        "spec": str(cid_from_digest(cfg.spec_hash)),
        "participants": task.participant_count(),
        "ejected": [a for a in task.participants() if task.is_ejected(a)],
        "rounds": cfg.rounds,
        "current_round": current,
        "pool_fml": task.pool() / TOKEN,
        "global_model": str(cid_from_digest(task.global_model_hash())) if any(task.global_model_hash()) else None,
        "stake_required_fml": cfg.stake_required / TOKEN,
    }
    if full:
        from fedledger.api.chainview import ChainView  # the dashboard's read side; loaded only when asked for

        view = ChainView(factory.client, dep.factory)
        summary["detail"] = view.task_detail(task.address).model_dump(mode="json")
        summary["round_details"] = [r.model_dump(mode="json") for r in view.rounds(task.address)]
    typer.echo(json.dumps(summary, indent=2))


@app.command("list")
@handle_errors
def list_tasks(deployment: Path = DeploymentOption) -> None:
    """Every task the factory created."""
    _, factory = _factory(deployment)
    table = Table(title=f"Tasks of factory {factory.address}")
    for column in ("task", "status", "participants", "round", "pool (FML)"):
        table.add_column(column)
    for address in factory.tasks():
        task = factory.task(address)
        current = task.current_round()
        table.add_row(address, task.status().name, str(task.participant_count()), "-" if current is None else str(current), f"{task.pool() / TOKEN:.2f}")
    console.print(table)


@app.command()
def schema() -> None:
    """Print the task spec's JSON schema."""
    typer.echo(json.dumps(TaskSpec.json_schema(), indent=2))
