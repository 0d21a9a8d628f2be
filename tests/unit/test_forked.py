"""`map_forked` gives `[function(item) for item in items]`, half of it from a forked child when
it may fork. Each case runs in a fresh interpreter: pytest's workers run threads, and with
threads the function (rightly) stays in one process."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="fork is used on Linux")


def run(body: str) -> dict:
    code = "import json, os, threading\nfrom researchflow.base.forked import map_forked\n"
    done = subprocess.run(
        [sys.executable, "-c", code + textwrap.dedent(body)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_many_items_are_shared_with_a_child_and_come_back_in_order() -> None:
    shown = run(
        """
        found = map_forked(lambda n: (n * n, os.getpid()), list(range(300)))
        print(json.dumps({"values": [v for v, _ in found],
                          "pids": sorted({p for _, p in found} - {os.getpid()}),
                          "cpus": len(os.sched_getaffinity(0))}))
        """
    )
    assert shown["values"] == [n * n for n in range(300)]
    assert len(shown["pids"]) == (1 if shown["cpus"] > 1 else 0)


def test_few_items_one_processor_or_other_threads_stay_in_this_process() -> None:
    shown = run(
        """
        here = os.getpid()
        few = {p for p in map_forked(lambda n: os.getpid(), list(range(10)))}
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
        one_cpu = {p for p in map_forked(lambda n: os.getpid(), list(range(300)))}
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
        stop = threading.Event()
        worker = threading.Thread(target=stop.wait)
        worker.start()
        threaded = {p for p in map_forked(lambda n: os.getpid(), list(range(300)))}
        stop.set()
        worker.join()
        print(json.dumps({"sets": [sorted(few), sorted(one_cpu), sorted(threaded)], "here": here}))
        """
    )
    assert shown["sets"] == [[shown["here"]]] * 3


def test_an_error_in_the_childs_half_is_raised_here_and_no_child_is_left() -> None:
    shown = run(
        """
        def square(n):
            if n == 250:
                raise ValueError("item 250")
            return n * n
        try:
            map_forked(square, list(range(300)))
            raised = None
        except ValueError as error:
            raised = str(error)
        try:
            os.waitpid(-1, os.WNOHANG)
            left = True
        except ChildProcessError:
            left = False
        print(json.dumps({"raised": raised, "left": left}))
        """
    )
    assert shown == {"raised": "item 250", "left": False}


def test_an_unpicklable_answer_is_computed_here_instead() -> None:
    shown = run(
        """
        found = map_forked(lambda n: (lambda: n), list(range(100)))
        print(json.dumps({"values": [f() for f in found]}))
        """
    )
    assert shown["values"] == list(range(100))
