"""`fedledger data split`: cut a bundled data set into per-participant files.

Real participants bring their own data; this gives a test deployment private shares in the
format `fedledger node run --data` reads (`.npz` with `x` and `y`, no pickled objects).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer

from fedledger.cli.errors import handle_errors
from fedledger.cli.task import load_spec
from fedledger.learning.data import load_dataset
from fedledger.learning.partition import dirichlet_label_skew, iid

app = typer.Typer(help="Prepare participant data files.", no_args_is_help=True)


@app.command()
@handle_errors
def split(
    out: Path = typer.Argument(..., help="Directory for node-<i>.npz files."),
    clients: int = typer.Option(3, help="Number of shares."),
    alpha: float | None = typer.Option(None, help="Dirichlet label-skew alpha; omit for IID shares."),
    preset: str = typer.Option("digits-mlp", help="Spec preset whose data set is split."),
    spec: Path | None = typer.Option(None, help="Or a task spec JSON naming a bundled set."),
    seed: int = typer.Option(0),
) -> None:
    """Partition the spec's bundled data set into one .npz per participant."""
    schema = load_spec(spec, preset).dataset
    data = load_dataset(schema, seed=seed)
    parts = iid(len(data.y), clients, seed) if alpha is None else dirichlet_label_skew(data.y, clients, alpha, seed)
    out.mkdir(parents=True, exist_ok=True)
    for i, idx in enumerate(parts):
        target = out / f"node-{i}.npz"
        np.savez(target, x=np.asarray(data.x)[idx], y=np.asarray(data.y)[idx].astype(np.int64))
        typer.echo(f"{target}: {len(idx)} samples")
