"""The three domain errors; cli/__init__.py maps them to exit codes in one place."""

from __future__ import annotations

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_SERVICE = 3


class RflowError(Exception):
    """Base of every error a user can see as one line."""

    exit_code = EXIT_USAGE


class UserError(RflowError):
    """Bad input, bad usage or a broken file: exit 2."""

    exit_code = EXIT_USAGE


class CheckFailed(RflowError):
    """A check ran and found problems: exit 1."""

    exit_code = EXIT_CHECK_FAILED


class ServiceUnavailable(RflowError):
    """MLflow, GitLab or a DVC remote could not be reached: exit 3."""

    exit_code = EXIT_SERVICE


class StoreAbsent(ServiceUnavailable):
    """The store this machine reaches does not hold a hypothesis's runs (a clone without the
    first machine's embedded store): one line for the whole check, exit 3."""
