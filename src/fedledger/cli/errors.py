"""Turn fedledger errors into one clear line and the domain's exit code, never a traceback."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from fedledger.core.errors import FedledgerError

P = ParamSpec("P")
R = TypeVar("R")

err_console = Console(stderr=True)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command so a `FedledgerError` prints its message and exits with its code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except FedledgerError as exc:
            err_console.print(f"[bold red]error:[/] {exc}")
            raise typer.Exit(code=exc.exit_code) from None

    return wrapper
