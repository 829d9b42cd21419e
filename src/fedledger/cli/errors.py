"""Turn fedledger errors, and the file system's, into one clear line and an exit code, never a traceback."""

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


FILE_SYSTEM_EXIT = 8
"""Exit code of a command stopped by the file system (a path that cannot be created or written)."""


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command so a `FedledgerError` prints its message and exits with its code, and an
    `OSError` (an output directory that cannot be created, a full disk) names the path."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except FedledgerError as exc:
            err_console.print(f"[bold red]error:[/] {exc}")
            raise typer.Exit(code=exc.exit_code) from None
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            err_console.print(f"[bold red]error:[/] {exc.strerror or exc}{where}")
            raise typer.Exit(code=FILE_SYSTEM_EXIT) from None

    return wrapper
