"""A failed subprocess is reported readably: one line normally, everything with --debug."""

from __future__ import annotations

import sys

import pytest

from researchflow.adapters.process import CommandFailed, run


def test_a_failure_names_the_command_status_and_last_line() -> None:
    code = "import sys; print('out'); print('first\\nlast', file=sys.stderr); sys.exit(3)"
    with pytest.raises(CommandFailed) as caught:
        run([sys.executable, "-c", code])
    message = str(caught.value)
    assert message.startswith(f"`{sys.executable} -c 'import sys;")
    assert message.endswith("` exited 3: last")
    assert caught.value.details().splitlines()[1:] == [
        "return code: 3",
        "stdout:",
        "    out",
        "stderr:",
        "    first",
        "    last",
    ]


def test_empty_output_is_shown_as_none() -> None:
    with pytest.raises(CommandFailed) as caught:
        run([sys.executable, "-c", "raise SystemExit(1)"])
    assert "stdout:\n    (none)\nstderr:\n    (none)" in caught.value.details()
    assert str(caught.value).endswith("exited 1: no output")
