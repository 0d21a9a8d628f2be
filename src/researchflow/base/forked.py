"""Pure work over many items on two processors: `rflow status` reads hundreds of plans.

The second half of the items goes to a child made with `fork` (it shares what this process
has loaded, so it starts in about a millisecond) and comes back pickled through a pipe. The
answer is the same list in every case: where fork is missing, only one processor is ours,
other threads run (fork copies only the caller's), the list is short, or the child fails,
this process computes every item itself.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence

from researchflow.base import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import NoReturn, TypeVar

    _T = TypeVar("_T")
    _R = TypeVar("_R")

MINIMUM = 64  # fewer items are not worth a process


def map_forked(
    function: Callable[[_T], _R], items: Sequence[_T], *, minimum: int = MINIMUM
) -> list[_R]:
    """`[function(item) for item in items]`, half of it computed in a forked child when there
    are at least `minimum` items (two big ones may be worth it; hundreds of small ones are)."""
    if len(items) < max(minimum, 2) or not _may_fork():
        return [function(item) for item in items]
    import pickle  # only here: a short list never pays for it

    half = len(items) // 2
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return [function(item) for item in items]
    if pid == 0:
        _child(function, items[half:], read_end, write_end)
    os.close(write_end)
    pipe = os.fdopen(read_end, "rb")
    try:
        first = [function(item) for item in items[:half]]
        data = pipe.read()
    finally:
        pipe.close()  # on an error here, the child's write fails and it leaves
        _, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        return [*first, *(function(item) for item in items[half:])]
    second: list[_R] = pickle.loads(data)
    return [*first, *second]


def _child(
    function: Callable[[_T], _R], items: Sequence[_T], read_end: int, write_end: int
) -> NoReturn:
    """Compute, write, and leave at once: no exit handlers, no buffers flushed twice."""
    import pickle

    code = 1
    try:
        os.close(read_end)
        data = pickle.dumps([function(item) for item in items], pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(data)
        code = 0
    except BaseException:  # the parent computes this half itself and meets the error
        pass
    finally:
        os._exit(code)


def _may_fork() -> bool:
    if not hasattr(os, "fork") or sys.platform == "darwin":  # macOS: fork is unsafe
        return False
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return False  # the child would hold only this thread, maybe mid-lock elsewhere
    affinity = getattr(os, "sched_getaffinity", None)
    processors = len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)
    return processors > 1
