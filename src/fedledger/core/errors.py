"""One error hierarchy for the whole project.

Every error a user can meet derives from `FedledgerError`, so the CLI can catch one type,
print the message and exit with the domain's code instead of a traceback. Messages say what
went wrong *and* what to do about it.
"""

from __future__ import annotations


class FedledgerError(Exception):
    """Base of every fedledger error; `exit_code` is what the CLI exits with."""

    exit_code: int = 1


class ConfigError(FedledgerError):
    """A setting, file or command-line option is missing or inconsistent."""

    exit_code = 2


class ValidationError(FedledgerError):
    """User-supplied input (a task spec, a parameter) failed validation."""

    exit_code = 3


class IntegrityError(FedledgerError):
    """Content does not match the hash it was asked for; the content is never returned."""

    exit_code = 4


class StorageError(FedledgerError):
    """A storage backend could not store or return a blob (missing, too large, unreachable)."""

    exit_code = 5


class UpdateValidationError(ValidationError):
    """A model update is malformed: wrong keys, shapes or dtypes, non-finite values, too large."""


class AggregationError(FedledgerError):
    """Updates could not be aggregated (none given, mismatched structure, bad weights)."""

    exit_code = 6


class ChainError(FedledgerError):
    """The chain could not be reached or a transaction failed outside the contract's logic."""

    exit_code = 7


class RevertError(ChainError):
    """A contract call reverted; `error_name` and `args` name the decoded custom error."""

    def __init__(self, message: str, error_name: str | None = None, args: tuple[object, ...] = ()) -> None:
        super().__init__(message)
        self.error_name = error_name
        self.error_args = args
