"""Property-based fuzzing of everything rflow parses from files (issue 11).

A grammar generates plan front matter, `researchflow.yaml` and `runs.yaml`: the valid
shape with fields swapped for values of any type, hostile YAML spliced in (alias bombs,
cycles, deep nesting, unsafe tags, tabs, conflict markers, control characters) and raw
bytes. For every example the real command (in-process) must exit 0, 1 or 2 with one line
per problem and no traceback, in under a second; the pure parsers may raise only the
user-facing error; the sanitisers' output must be safe where it goes.

In the suite: a fixed seed and a few dozen examples per property. `make fuzz` runs many
more with a random seed: RFLOW_FUZZ_EXAMPLES=2000.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fixtures.plans import GOOD_BODY, GOOD_FRONT_MATTER
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from researchflow.base import safetext
from researchflow.base.errors import UserError
from researchflow.documents.document import DocumentError, parse_document
from researchflow.documents.runlog import parse_runs

EXAMPLES = int(os.environ.get("RFLOW_FUZZ_EXAMPLES", "30"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize="RFLOW_FUZZ_EXAMPLES" not in os.environ,  # the suite: a fixed seed
    deadline=dt.timedelta(seconds=1),  # every example under a second
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

# --- the grammar ------------------------------------------------------------------------

HOSTILE_TEXT = st.sampled_from(
    ["\x1b[2J", "\u202e", "\n", "\r", "\x00", "\x07", "</details>", "@all", "<img src=x>", "\ufffe"]
)
TEXT = st.one_of(
    st.text(max_size=12),
    st.builds(lambda a, b, c: a + b + c, st.text(max_size=4), HOSTILE_TEXT, st.text(max_size=4)),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
    st.dates(),
    st.datetimes(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


def _bomb(levels: int) -> str:
    lines = ['b0: &b0 "lol"']
    for level in range(1, levels + 1):
        lines.append(f"b{level}: &b{level} [{', '.join([f'*b{level - 1}'] * 9)}]")
    return "\n".join(lines)


SNIPPETS = st.sampled_from(
    [
        _bomb(9),
        _bomb(3),
        "cycle: &c [*c]",
        "deep: " + "[" * 200 + "]" * 200,
        "deep: " + "{a: " * 70 + "1" + "}" * 70,
        "evil: !!python/object/apply:os.system ['true']",
        "tagged: !custom 1",
        "\tindented: with a tab",
        "<<<<<<< HEAD\nx: 1\n=======\nx: 2\n>>>>>>> other",
        "dup: 1\ndup: 2",
        "created: 2026-13-45",
        "n: !!int abc",
        "t: !!timestamp x",
        "merge: {<<: {a: 1}}",
        "? [complex, key]\n: 1",
        'ctrl: "\\e[2J\\u202e\\nrflow check passed"',
        "---\nsecond: document",
        "%YAML 1.1\n---",
        "x: [unclosed",
    ]
)


def _dump(data: dict) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=None)


def _splice(text: str, snippet: str | None, where: int) -> str:
    if snippet is None:
        return text
    lines = text.split("\n")
    index = where % (len(lines) + 1)
    return "\n".join([*lines[:index], snippet, *lines[index:]])


@st.composite
def yaml_documents(draw: st.DrawFn, base: dict) -> bytes:
    """The valid `base` with some fields replaced, removed or added, then maybe hostile
    YAML spliced in, or raw bytes instead."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=200))
    data = dict(base)
    for key in draw(st.lists(st.sampled_from(sorted(base)), max_size=4, unique=True)):
        if draw(st.booleans()):
            data[key] = draw(VALUES)
        else:
            del data[key]
    data.update(draw(st.dictionaries(TEXT, VALUES, max_size=2)))
    try:
        text = _dump(data)
    except yaml.YAMLError:
        text = _dump(base)
    snippet = draw(st.one_of(st.none(), SNIPPETS))
    text = _splice(text, snippet, draw(st.integers(0, 1000)))
    return text.encode("utf-8", errors="surrogatepass")


PLAN_BASE = yaml.safe_load(GOOD_FRONT_MATTER.format(id="H-007"))
RUN_ENTRY = {
    "run_id": "0123456789abcdef0123456789abcdef",
    "experiment_id": "1",
    "tracking_uri": "http://127.0.0.1:5000",
    "commit": "a" * 40,
    "branch": "hyp/H-007-graded-target",
    "dirty": False,
    "command": ["python", "train.py"],
    "data": {"data/responses.csv": "b" * 32},
    "started": "2026-11-23T10:00:00Z",
    "ended": "2026-11-23T10:05:00Z",
    "status": "FINISHED",
    "metrics": {"recall_at_10": 0.44},
    "source": "run",
    "rerun_of": None,
    "repeat": 1,
    "retired": {"reason": "r", "by": "b", "at": "t"},
}
CONFIG_BASE = {
    "research_dir": "research",
    "branch_prefix": "hyp/",
    "base_branch": "main",
    "mlflow": {"tracking_uri": "http://127.0.0.1:5000", "experiment": "demo"},
    "gitlab": {"remote": "origin"},
    "dvc": {"enabled": True},
    "quarto": {"required": False},
    "sections": {"required": ["Context"]},
}


@st.composite
def runs_files(draw: st.DrawFn) -> bytes:
    entry = draw(yaml_documents(RUN_ENTRY))
    if not entry.startswith(b"run_id") or draw(st.booleans()):
        return entry  # the whole file, broken at the top
    indented = b"\n".join(b"    " + line for line in entry.split(b"\n"))
    return b"hypothesis: H-007\nruns:\n  -\n" + indented + b"\n"


# --- driving the real command -----------------------------------------------------------

PROBLEM_LINE = re.compile(r"^[^\n]+:\d+: [^\n]*$")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("fuzz")
    (root / ".git").mkdir()  # the repository root, as find_root sees it
    folder = root / "research" / "H-007-graded-target"
    folder.mkdir(parents=True)
    before = Path.cwd()
    os.chdir(root)
    try:
        yield root
    finally:
        os.chdir(before)


def rflow(*args: str) -> tuple[int, str, str, float]:
    from researchflow.cli import main

    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else 0
    return code, out.getvalue(), err.getvalue(), time.perf_counter() - started


def assert_one_line_per_problem(code: int, stdout: str, stderr: str, elapsed: float) -> None:
    assert code in (0, 1, 2), (code, stdout, stderr)
    assert "Traceback" not in stdout + stderr and "internal error" not in stderr, stderr
    assert elapsed < 1.0, elapsed
    for line in stdout.splitlines():
        assert PROBLEM_LINE.match(line) or line == "no plans or reports found", line
    errors = stderr.splitlines()
    assert len(errors) <= 1 and all(line.startswith("rflow: ") for line in errors), stderr
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f\u202e]", stdout + stderr)
    if code == 0:
        assert not errors


@FUZZ
@given(front=yaml_documents(PLAN_BASE), body=st.one_of(st.just(GOOD_BODY), st.text(max_size=80)))
def test_validate_any_plan_exits_0_1_or_2_with_one_line_per_problem(
    workspace: Path, front: bytes, body: str
) -> None:
    path = workspace / "research" / "H-007-graded-target" / "plan.qmd"
    path.write_bytes(b"---\n" + front + b"\n---\n" + body.encode("utf-8", "surrogatepass"))
    code, stdout, stderr, elapsed = rflow("validate", str(path.relative_to(workspace)))
    assert_one_line_per_problem(code, stdout, stderr, elapsed)
    assert (code == 0) == (not [line for line in stdout.splitlines() if ": warning: " not in line])


@FUZZ
@given(config=yaml_documents(CONFIG_BASE))
def test_any_config_exits_0_1_or_2_with_one_line(workspace: Path, config: bytes) -> None:
    (workspace / "researchflow.yaml").write_bytes(config)
    try:
        code, stdout, stderr, elapsed = rflow("validate", "--json")
    finally:
        (workspace / "researchflow.yaml").unlink()
    assert code in (0, 1, 2)
    assert "Traceback" not in stdout + stderr and "internal error" not in stderr, stderr
    assert elapsed < 1.0
    if stderr:
        assert len(stderr.splitlines()) == 1 and stderr.startswith("rflow: researchflow.yaml")


# --- the pure parsers: nothing but the user-facing error escapes -----------------------------


@FUZZ
@given(raw=runs_files())
def test_parse_runs_raises_only_user_errors_naming_the_file(raw: bytes) -> None:
    started = time.perf_counter()
    try:
        log = parse_runs(raw, "research/H-007-x/runs.yaml")
    except UserError as error:
        message = str(error)
        assert message.startswith("research/H-007-x/runs.yaml:"), message
        assert "\n" not in safetext.terminal(message)
    else:
        for entry in log.runs:  # what parses is typed as the model says
            assert isinstance(entry.run_id, str) and isinstance(entry.dirty, bool)
            assert all(isinstance(v, float) for v in entry.metrics.values())
    assert time.perf_counter() - started < 1.0


@FUZZ
@given(front=yaml_documents(PLAN_BASE))
def test_parse_document_raises_only_document_errors(front: bytes) -> None:
    with contextlib.suppress(DocumentError):
        parse_document(b"---\n" + front + b"\n---\n## Context\n")


# --- the sanitisers ------------------------------------------------------------------------

ANY_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=60)


@FUZZ
@given(text=ANY_TEXT)
def test_terminal_text_is_one_line_without_controls_or_bidi(text: str) -> None:
    safe = safetext.terminal(text)
    assert not re.search("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]", safe)
    block = safetext.terminal_block(text)
    assert block.count("\n") == text.count("\n")
    assert "\x1b" not in block and "\u202e" not in block


@FUZZ
@given(text=ANY_TEXT)
def test_xml_text_is_always_well_formed(text: str) -> None:
    element = ET.Element("failure", message=safetext.xml_text(text))
    element.text = safetext.xml_text(text)
    ET.fromstring(ET.tostring(element, encoding="unicode").encode("utf-8", "surrogatepass"))


@FUZZ
@given(text=ANY_TEXT)
def test_markdown_code_is_one_code_span(text: str) -> None:
    span = safetext.markdown_code(text)
    assert "\n" not in span
    fence = re.match("`+", span)
    assert fence and span.endswith(fence.group())
    inner = span[len(fence.group()) : -len(fence.group())]
    assert fence.group() not in inner  # nothing closes the span early


@FUZZ
@given(text=ANY_TEXT)
def test_markdown_text_has_no_html_link_or_mention(text: str) -> None:
    safe = safetext.markdown_text(text)
    assert "<" not in safe and "\n" not in safe
    assert not re.search(r"@[A-Za-z0-9_]", safe)
    assert not re.search(r"(?<!\\)[\[\]()!`]", safe)
