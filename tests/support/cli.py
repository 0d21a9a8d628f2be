"""The one way tests drive rflow: in-process (fast, the real `main` with its exit-code
mapping), or the real entry point in a subprocess."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


@contextlib.contextmanager
def inside(folder: Path | None, env: Mapping[str, str] | None = None) -> Iterator[None]:
    """Run the block in `folder` with `env` added to the environment; both restored."""
    before = Path.cwd()
    saved = {name: os.environ.get(name) for name in env or {}}
    if folder is not None:
        os.chdir(folder)
    os.environ.update(env or {})
    try:
        yield
    finally:
        os.chdir(before)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


EXECUTOR = "carol"  # the executor every test plan names (fixtures/gate_plans, plans)


def as_executor(args: list[str], env: Mapping[str, str] | None) -> Mapping[str, str] | None:
    """`rflow run` is the executor's step: unless the test names the acting user itself
    (RFLOW_USER in `env` or already set), it runs as the plans' executor, carol. Tests of
    who may run pass RFLOW_USER themselves."""
    command = next((a for a in args if not a.startswith("-")), None)
    if command != "run" or "RFLOW_USER" in (env or {}) or os.environ.get("RFLOW_USER"):
        return env
    return {**(env or {}), "RFLOW_USER": EXECUTOR}


def run_in_process(
    args: list[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> Outcome:
    """`rflow ARGS…` through `researchflow.cli.main`, its output captured (`rflow run` as
    the executor, see `as_executor`)."""
    from researchflow.cli import main

    env = as_executor(args, env)
    out, err = io.StringIO(), io.StringIO()
    with inside(cwd, env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else 0
    return Outcome(code, out.getvalue(), err.getvalue())


def buffered_environment() -> dict[str, str]:
    """This environment without PYTHONUNBUFFERED (set here, unset in a user's shell): output
    waits in Python's buffer until flushed, so an exit that skips the flush loses it."""
    return {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}


def run_process(
    args: list[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> Outcome:
    """The real entry point: `python -m researchflow ARGS…` in a subprocess (`rflow run`
    as the executor, see `as_executor`)."""
    executor = as_executor(args, env if env is not None else os.environ)
    result = subprocess.run(
        [sys.executable, "-m", "researchflow", *args],
        cwd=cwd,
        env=dict(executor) if executor is not None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Outcome(result.returncode, result.stdout, result.stderr)
