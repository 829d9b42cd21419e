"""`fedledger keys …`: create and inspect encrypted keystores (the key itself is never shown)."""

from __future__ import annotations

from pathlib import Path

import typer

from fedledger.chain.keystore import create_keystore, load_keystore
from fedledger.cli.errors import handle_errors
from fedledger.cli.options import read_password

app = typer.Typer(help="Encrypted keystores (eth-account JSON v3). Keys are never printed.", no_args_is_help=True)


@app.command("new")
@handle_errors
def new(
    path: Path = typer.Argument(..., help="Where to write the keystore (mode 0600)."),
    password_file: Path | None = typer.Option(None, help="Read the password from this file instead of prompting."),
) -> None:
    """Create a new random key, encrypted with a password; prints only its address."""
    password = read_password(password_file, confirm=True)
    address = create_keystore(path, password)
    typer.echo(address)


@app.command("address")
@handle_errors
def address(
    path: Path = typer.Argument(..., help="The keystore file."),
    password_file: Path | None = typer.Option(None, help="Read the password from this file instead of prompting."),
) -> None:
    """Decrypt a keystore to check the password; prints only its address."""
    typer.echo(load_keystore(path, read_password(password_file)).address)
