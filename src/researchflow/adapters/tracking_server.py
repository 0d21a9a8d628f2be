"""The embedded store's own tracking server: started on demand, reused, stopped when idle.

Opening `.rflow/mlflow.db` through the library costs every rflow process `import mlflow` and
the sqlite store's start-up (schema checks), about 2 s. A tracking server started once in
the background for the repository pays that once; every later rflow process of the
repository speaks to it through the REST API (`mlflow_rest.RestStore`, standard library
only) after a health check of a few milliseconds, and never imports mlflow.

- The server is `mlflow server` on the same sqlite file, bound to 127.0.0.1 on a free port,
  without artifact proxying; experiments it creates get the artifact folder the library
  gives them (`.rflow/artifacts`), so the runs are what the library would have written, and
  MLflow's UI and client read them with the sqlite URI. runs.yaml, the tags and a run's
  command still name the sqlite URI.
- `.rflow/mlflow.server.json` names it (pid, port, URL); its output goes to
  `.rflow/mlflow.server.log`. `.rflow/` is never committed.
- A small watcher of ours (`python -m researchflow.adapters.tracking_server`) starts it,
  writes that file once /health answers, and stops it after RFLOW_SERVER_IDLE seconds
  (default 600) in which no rflow process used the store: each holds a shared lock on
  `.rflow/mlflow.server.lease` while it runs, so a long `rflow run` keeps it up, and the
  watcher stops the server only while it holds that lock exclusively.
- RFLOW_NO_SERVER=1 turns it off, and so does a CI job (CI set: nothing would reuse it).
  When it cannot start, one line on stderr says why and the library is used (and no start
  is tried again for RETRY_AFTER seconds).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from researchflow.base.frozen import frozen

if TYPE_CHECKING:
    from researchflow.adapters.mlflow_rest import RestStore

SQLITE = "sqlite:///"
START_TIMEOUT = 120.0  # seconds for a first start on a loaded machine
RETRY_AFTER = 600.0  # after a failed start, the library is used without trying again
IDLE_DEFAULT = 600.0
POLL = 0.5


@frozen
class Place:
    """The files beside an embedded store's database."""

    database: Path

    def _beside(self, suffix: str) -> Path:
        return self.database.parent / f"{self.database.stem}.server.{suffix}"

    @property
    def state(self) -> Path:
        return self._beside("json")

    @property
    def lease(self) -> Path:
        return self._beside("lease")

    @property
    def start_lock(self) -> Path:
        return self._beside("lock")

    @property
    def log(self) -> Path:
        return self._beside("log")

    @property
    def artifacts(self) -> str:
        """The artifact root the library gives the embedded store's experiments."""
        return (self.database.parent / "artifacts").as_uri()


def embedded_database(tracking_uri: str) -> Path | None:
    """The database of an embedded store (`<root>/.rflow/mlflow.db`) that may be served."""
    if not tracking_uri.startswith(SQLITE):
        return None
    path = Path(tracking_uri[len(SQLITE) :])
    if not path.is_absolute() or path.name != "mlflow.db" or path.parent.name != ".rflow":
        return None
    return path


def enabled() -> bool:
    return os.environ.get("RFLOW_NO_SERVER", "") in ("", "0") and not os.environ.get("CI")


def served_store(tracking_uri: str) -> RestStore | None:
    """The embedded store at `tracking_uri` through its running server (started now when
    none runs); None for any other store, when turned off, or when it cannot start."""
    database = embedded_database(tracking_uri)
    if database is None or not enabled():
        return None
    from researchflow.adapters.mlflow_rest import RestStore

    place = Place(database)
    database.parent.mkdir(parents=True, exist_ok=True)
    _hold_lease(place)
    url = _running(place) or _start(place)
    if url is None:
        return None
    return RestStore(url, uri=tracking_uri, artifact_location=place.artifacts)


def stop_server(database: Path) -> bool:
    """Ask the watcher of `database`'s server to stop it; False when none was running."""
    place = Place(database)
    pid = _read_state(place).get("pid")
    if not isinstance(pid, int) or not _is_watcher(pid, place):
        return False
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGTERM)
    return True


# --- the client side: find, or start, the server -------------------------------------

_LEASES: dict[Path, int] = {}  # held until the process ends (the kernel releases them)


def _hold_lease(place: Place) -> None:
    """A shared lock on the lease for the rest of this process: the watcher stops the
    server only when nobody holds it (it waits here while the watcher is stopping it)."""
    if place.lease in _LEASES:
        return
    handle = os.open(place.lease, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(handle, fcntl.LOCK_SH)
    _LEASES[place.lease] = handle
    with contextlib.suppress(OSError):
        os.utime(place.lease)  # the last use, for the idle clock


def _read_state(place: Place) -> dict[str, object]:
    try:
        found = json.loads(place.state.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _running(place: Place) -> str | None:
    """The server's URL when its watcher is alive and /health answers."""
    state = _read_state(place)
    url, pid = state.get("url"), state.get("pid")
    if not isinstance(url, str) or not isinstance(pid, int) or not _is_watcher(pid, place):
        return None
    return url if _healthy(url) else None


def _is_watcher(pid: int, place: Place) -> bool:
    """`pid` is alive and is this database's watcher (not a reused pid)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True  # no /proc (macOS): alive is the best we know
    return str(place.database).encode() in command and any(
        part.endswith(b"tracking_server") for part in command
    )


def _healthy(url: str, timeout: float = 2.0) -> bool:
    from researchflow.adapters.mlflow_rest import DIRECT

    try:
        with DIRECT.open(f"{url}/health", timeout=timeout) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


def _start(place: Place) -> str | None:
    """Start the watcher (one process at a time) and wait for its server; None, with one
    line on stderr, when it does not come up."""
    with _locked(place.start_lock):
        url = _running(place)
        if url is not None:
            return url
        state = _read_state(place)
        failed_at = state.get("failed_at")
        if isinstance(failed_at, (int, float)) and time.time() - failed_at < RETRY_AFTER:
            return None
        _stop_orphan(state)
        with contextlib.suppress(FileNotFoundError):
            place.state.unlink()
        watcher = subprocess.Popen(
            [sys.executable, "-m", "researchflow.adapters.tracking_server", str(place.database)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C in the terminal does not reach it
            close_fds=True,
        )
        reason = _wait_for_state(place, watcher)
        if reason is None:
            url = _running(place)
            if url is not None:
                return url
            reason = "it stopped answering"
        _write_state(place, {"failed_at": time.time(), "reason": reason})
    print(
        f"rflow: the embedded store's tracking server did not start ({reason}; see "
        f"{place.log}); using the MLflow library, which is slower (RFLOW_NO_SERVER=1 skips "
        "trying)",
        file=sys.stderr,
    )
    return None


def _wait_for_state(place: Place, watcher: subprocess.Popen[bytes]) -> str | None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if "url" in _read_state(place):
            return None
        if watcher.poll() is not None:
            return _last_line(place.log) or f"exit status {watcher.returncode}"
        time.sleep(0.05)
    with contextlib.suppress(OSError):
        os.kill(watcher.pid, signal.SIGTERM)
    return f"no answer after {START_TIMEOUT:.0f} s"


def _last_line(log: Path) -> str:
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1].strip()[:200] if lines else ""


def _stop_orphan(state: dict[str, object]) -> None:
    """A server whose watcher was killed outright (SIGKILL) would run for ever: stop it."""
    server = state.get("server_pid")
    if isinstance(server, int) and server > 0:
        try:
            command = Path(f"/proc/{server}/cmdline").read_bytes()
        except OSError:
            return
        if b"mlflow" in command:
            with contextlib.suppress(OSError):
                os.killpg(server, signal.SIGTERM)


def _write_state(place: Place, state: dict[str, object]) -> None:
    partial = place.state.with_name(place.state.name + f".{os.getpid()}")
    partial.write_text(json.dumps(state), encoding="utf-8")
    os.replace(partial, place.state)


# --- the watcher: run the server, stop it when idle ----------------------------------


def idle_seconds() -> float:
    try:
        return float(os.environ.get("RFLOW_SERVER_IDLE", IDLE_DEFAULT))
    except ValueError:
        return IDLE_DEFAULT


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _mlflow_command() -> list[str]:
    script = Path(sys.executable).parent / "mlflow"
    return [str(script)] if script.exists() else [sys.executable, "-m", "mlflow"]


def _launch(place: Place, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true",
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",  # the GenAI job runner: not needed
    }
    env.pop("MLFLOW_TRACKING_URI", None)
    with place.log.open("wb") as log:
        return subprocess.Popen(
            [
                *_mlflow_command(),
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
                "--backend-store-uri",
                f"{SQLITE}{place.database}",
                "--default-artifact-root",
                place.artifacts,
                "--no-serve-artifacts",
            ],
            cwd=place.database.parent,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: stopped with its uvicorn worker
        )


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    with contextlib.suppress(OSError):
        os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


def _serve(place: Place) -> int:
    """Start the server (another free port when one was taken meanwhile), publish it, and
    stop it when idle, when it dies, or on SIGTERM/SIGINT/SIGHUP."""
    stopping: list[int] = []

    def stop_on(signum: int, _frame: object) -> None:
        stopping.append(signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, stop_on)
    from researchflow.adapters.mlflow_library import _write_ahead_log

    # WAL before the server opens the file (an empty one is created in WAL mode): the
    # children's own `mlflow.log_*` and the library write to it beside the server
    _write_ahead_log(f"{SQLITE}{place.database}")
    for _attempt in range(3):
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        server = _launch(place, port)
        deadline = time.monotonic() + START_TIMEOUT
        while server.poll() is None and not stopping and time.monotonic() < deadline:
            if _healthy(url, timeout=1.0):
                break
            time.sleep(0.1)
        else:
            _stop(server)
            if stopping or "address already in use" not in place.log.read_text(errors="replace"):
                return 1
            continue
        break
    else:
        return 1
    _write_state(place, {"pid": os.getpid(), "server_pid": server.pid, "port": port, "url": url})
    try:
        _watch(place, server, stopping)
    finally:
        if _read_state(place).get("pid") == os.getpid():
            with contextlib.suppress(FileNotFoundError):
                place.state.unlink()
        _stop(server)
    return 0


def _watch(place: Place, server: subprocess.Popen[bytes], stopping: list[int]) -> None:
    idle = idle_seconds()
    last_busy = time.time()
    lease = os.open(place.lease, os.O_RDWR | os.O_CREAT, 0o644)
    while not stopping and server.poll() is None:
        time.sleep(POLL)
        try:
            fcntl.flock(lease, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            last_busy = time.time()  # a process holds the store
            continue
        try:
            used = max(last_busy, place.lease.stat().st_mtime)
        except OSError:
            used = last_busy
        if time.time() - used >= idle:
            with contextlib.suppress(FileNotFoundError):
                place.state.unlink()  # while still holding the lease: nobody is using it
            return  # the lease is released when this process ends, after the server
        fcntl.flock(lease, fcntl.LOCK_UN)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m researchflow.adapters.tracking_server DATABASE", file=sys.stderr)
        return 2
    return _serve(Place(Path(argv[0])))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
