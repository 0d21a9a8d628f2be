"""The one helper that runs subprocesses: argument lists only, readable failures."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType

from researchflow.base import TYPE_CHECKING
from researchflow.base.errors import UserError
from researchflow.base.frozen import frozen

if TYPE_CHECKING:
    from typing import IO, Any


class CommandFailed(Exception):
    """A subprocess exited non-zero; str() shows the command, its status and its output."""

    def __init__(self, argv: Sequence[str], returncode: int, stdout: str, stderr: str) -> None:
        self.argv = list(argv)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        super().__init__(str(self))

    def __str__(self) -> str:
        output = (self.stderr or self.stdout).strip().splitlines()
        detail = output[-1] if output else "no output"
        return f"`{shlex.join(self.argv)}` exited {self.returncode}: {detail}"

    def details(self) -> str:
        """Everything, readably (as pre-commit shows a failed command): for --debug."""

        def block(text: str) -> str:
            lines = text.rstrip("\n").splitlines()
            return "\n".join(f"    {line}" for line in lines) if lines else "    (none)"

        return (
            f"command: {shlex.join(self.argv)}\nreturn code: {self.returncode}\n"
            f"stdout:\n{block(self.stdout)}\nstderr:\n{block(self.stderr)}"
        )


def run(
    argv: Sequence[str],
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    input: str | None = None,
    timeout: float | None = None,
    errors: str = "strict",
) -> subprocess.CompletedProcess[str]:
    """Run `argv` to completion, output captured as UTF-8 text (`errors` as for bytes.decode);
    `CommandFailed` when it exits non-zero and `check` is set."""
    result = subprocess.run(
        list(argv),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        input=input,
        capture_output=True,
        encoding="utf-8",
        errors=errors,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        raise CommandFailed(argv, result.returncode, result.stdout, result.stderr)
    return result


# --- a long-running child with the terminal: `rflow run`, `rflow check --rerun` ------------


@frozen
class Ended:
    """How a supervised child ended: its exit code as a shell reports it (128+N for a
    signal, 130 after Ctrl-C) and whether it was interrupted or killed by a signal."""

    code: int
    interrupted: bool


def require_executable(program: str, cwd: Path) -> None:
    """A UserError unless `program` can be started from `cwd`: the child's one-line check."""
    if os.sep in program:
        target = cwd / program
        found = target.is_file() and os.access(target, os.X_OK)
    else:
        import shutil  # rflow run only: status and validate never start a user's program

        found = shutil.which(program) is not None
    if not found:
        raise UserError(f"{program}: command not found (check the command after --)")


def supervise(
    argv: Sequence[str],
    cwd: Path,
    extra_env: Mapping[str, str],
    stdout: IO[Any] | int | None = None,
    base_env: Mapping[str, str] | None = None,
) -> Ended:
    """Start the child with its output streaming live, forward interrupts to it, and wait.

    `base_env`: the environment the child starts from (default: rflow's own).
    OSError when it cannot be started."""
    env = {**(os.environ if base_env is None else base_env), **extra_env}
    interrupted: list[int] = []
    child = subprocess.Popen(
        list(argv), cwd=cwd, env=env, stdout=stdout, preexec_fn=_dies_with(os.getpid())
    )

    def forward(signum: int, _frame: FrameType | None) -> None:
        interrupted.append(signum)
        # Ctrl-C at a terminal already reached the child (same foreground process group);
        # a signal sent to rflow alone (kill, a CI runner) must be passed on
        if not _terminal_delivered(signum) and child.poll() is None:
            child.send_signal(signum)

    # a closed terminal or SSH session (SIGHUP) ends the run like SIGTERM does
    previous = _install({signal.SIGINT: forward, signal.SIGTERM: forward, signal.SIGHUP: forward})
    try:
        returncode = child.wait()
    finally:
        _install(previous)
    if interrupted or returncode < 0:
        return Ended(128 - returncode if returncode < 0 else (returncode or 130), True)
    return Ended(returncode, False)


def _dies_with(parent: int) -> Callable[[], None] | None:
    """On Linux, a function for the child to run before exec: the kernel kills it
    (SIGKILL) when rflow dies, even by `kill -9`, so no run goes on unrecorded. Elsewhere
    None: only the signals rflow can catch are forwarded."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    set_parent_death_signal = 1  # PR_SET_PDEATHSIG, <linux/prctl.h>

    def in_child() -> None:
        prctl(set_parent_death_signal, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # rflow died before the line above took effect
            os.kill(os.getpid(), signal.SIGKILL)

    return in_child


def _terminal_delivered(signum: int) -> bool:
    if signum != signal.SIGINT:
        return False
    try:
        return os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except (OSError, ValueError, AttributeError):
        return False


if TYPE_CHECKING:  # an alias for annotations only
    _Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


def _install(handlers: Mapping[int, _Handler]) -> dict[int, _Handler]:
    import threading

    if threading.current_thread() is not threading.main_thread():
        return {}  # only the main thread may set handlers; the child still gets Ctrl-C
    return {signum: signal.signal(signum, handler) for signum, handler in handlers.items()}


# --- the rerun's environment: what the gate lets the registered command see --------------

ALLOWED = frozenset(
    {
        "PATH",
        "HOME",
        "LANG",
        "LANGUAGE",
        "TMPDIR",
        "TZ",
        "USER",
        "LOGNAME",
        "TERM",
        "MLFLOW_TRACKING_URI",
        "MLFLOW_RUN_ID",
        "MLFLOW_EXPERIMENT_ID",
        "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT",
        "RFLOW_SEED",
        "RFLOW_REPEAT",
        "RFLOW_RERUN",
    }
)
_SECRET = re.compile(r"TOKEN|SECRET|PASSW|CREDENTIAL|API_?KEY|PRIVATE", re.IGNORECASE)
VENV_VARIABLE = "RFLOW_RERUN_VENV"  # the CI job may name the project's virtualenv


def allowed_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The allow-listed part of `env` (pure): PATH, HOME, locale, TMPDIR, the MLflow run and
    the seed; never a token, a secret, a GitLab or CI variable, or a PYTHON* setting."""
    return {
        name: value
        for name, value in env.items()
        if (name in ALLOWED or name.startswith("LC_"))
        and not _SECRET.search(name)
        and not name.startswith(("GITLAB_", "CI_", "PYTHON"))
    }


def project_interpreter(root: Path, env: Mapping[str, str]) -> Path | None:
    """The project's own virtualenv: `RFLOW_RERUN_VENV` when set, else `<root>/.venv`."""
    named = env.get(VENV_VARIABLE, "").strip()
    venv = (root / named) if named else root / ".venv"
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    return venv.resolve() if python.exists() else None


def rerun_environment(env: Mapping[str, str], venv: Path | None) -> dict[str, str]:
    """The environment the registered command starts from: allow-listed, its bytecode not
    written, and with the project's virtualenv first on PATH and the gate's own
    interpreter's folder off it when the project has one."""
    chosen = allowed_environment(env)
    chosen["PYTHONDONTWRITEBYTECODE"] = "1"
    if venv is not None:
        gate_bin = str(Path(sys.executable).parent)
        rest = [p for p in chosen.get("PATH", os.defpath).split(os.pathsep) if p != gate_bin]
        chosen["PATH"] = os.pathsep.join([str(venv / "bin"), *rest])
        chosen["VIRTUAL_ENV"] = str(venv)
    return chosen


def fingerprint(folders: Sequence[Path]) -> dict[str, str]:
    """path → sha256 of every file under `folders` (the gate's own code), to tell whether a
    child process wrote to them. New bytecode files are not listed: Python writes those."""
    import hashlib  # the gate's rerun only

    found: dict[str, str] = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def changed_files(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """Files changed, removed, or added (new bytecode aside) between two fingerprints."""
    changed = [path for path, digest in before.items() if after.get(path) != digest]
    added = [path for path in after if path not in before and not path.endswith(".pyc")]
    return sorted(changed + added)


@contextlib.contextmanager
def temporary_environment(**values: str) -> Iterator[None]:
    """`values` in os.environ for the block (children inherit them), then as they were."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
