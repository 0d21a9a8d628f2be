"""Every `rflow.*` and `mlflow.source.*` tag a linked run carries: writing them and reading
them back (pure). The names themselves are spelled once, in base/names.py.

Data and output paths live in tag keys (`rflow.data.<path>`, `rflow.out.<path>`). MLflow
allows only ASCII letters, digits, `_ - . / ` and space there (no colon on Windows), so
every other character is written as `_xHH_` per UTF-8 byte, and a literal `_` before an
`x` as `_x5f_`: `decode_path(encode_path(p)) == p` for every path. Paths made of allowed
characters only (the usual case) are stored as they are, so older tags read the same.
"""

from __future__ import annotations

import getpass
import os
import re
import shlex
from collections.abc import Mapping, Sequence

from researchflow.base.names import (
    BRANCH,
    COMMAND,
    COMMIT,
    DATA_PREFIX,
    DIRTY,
    HYPOTHESIS,
    OUT_PREFIX,
    SOURCE_NAME,
    SOURCE_TYPE,
    USER,
)

MAX_VALUE = 5000  # below MLflow's limits for param (6000) and tag (8000) values

ENDED = ("FINISHED", "FAILED", "KILLED")

# --- the reversible path encoding in tag keys -------------------------------------------
_KEY_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./ ")
_ESCAPED = re.compile(r"(?:_x[0-9a-f]{2}_)+")


def encode_path(path: str) -> str:
    """A path as MLflow accepts it in a tag key; `decode_path` gives it back exactly."""
    out: list[str] = []
    for index, char in enumerate(path):
        literal = char in _KEY_SAFE and not (char == "_" and path[index + 1 : index + 2] == "x")
        if literal:
            out.append(char)
        else:
            out.extend(f"_x{byte:02x}_" for byte in char.encode("utf-8", "surrogatepass"))
    return "".join(out)


def decode_path(encoded: str) -> str:
    def bytes_back(match: re.Match[str]) -> str:
        run = match.group()
        raw = bytes(int(run[i + 2 : i + 4], 16) for i in range(0, len(run), 5))
        return raw.decode("utf-8", "surrogatepass")

    return _ESCAPED.sub(bytes_back, encoded)


def data_tag(path: str) -> str:
    """`rflow.data.<path>`: the md5 of an input the run used."""
    return DATA_PREFIX + encode_path(path)


def output_tag(path: str) -> str:
    """`rflow.out.<path>`: the md5 of an output the run produced."""
    return OUT_PREFIX + encode_path(path)


def _paths(tags: Mapping[str, str], prefix: str) -> dict[str, str]:
    return {
        decode_path(key[len(prefix) :]): value
        for key, value in tags.items()
        if key.startswith(prefix)
    }


def data_from_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """DVC path → md5 of the inputs a run's tags record (paths decoded)."""
    return _paths(tags, DATA_PREFIX)


def outputs_from_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """DVC path → md5 of the outputs a run's tags record (paths decoded)."""
    return _paths(tags, OUT_PREFIX)


def is_dirty(tags: Mapping[str, str]) -> bool:
    return tags.get(DIRTY, "false").lower() == "true"


def command_from_tags(tags: Mapping[str, str]) -> tuple[str, ...]:
    """The argv a run recorded. A plain MLflow run names only its source file: a script is
    run by the interpreter (MLflow records no arguments: `rflow link --command` gives
    them), a notebook cannot be rerun as a command."""
    if tags.get(COMMAND):
        return tuple(shlex.split(tags[COMMAND]))
    source = tags.get(SOURCE_NAME, "")
    if not source or source.endswith(".ipynb"):
        return ()
    return ("python", source) if source.endswith(".py") else (source,)


def run_tags(
    hypothesis: str,
    commit: str,
    branch: str | None,
    dirty: bool,
    command: Sequence[str],
    data: Mapping[str, str],
    extra: Mapping[str, str] | None = None,
    user: str | None = None,
) -> dict[str, str]:
    tags = {
        HYPOTHESIS: hypothesis,
        COMMIT: commit,
        DIRTY: "true" if dirty else "false",
        COMMAND: shlex.join(command)[:MAX_VALUE],
        SOURCE_TYPE: "LOCAL",
        USER: user or os.environ.get("RFLOW_USER") or login_name(),
    }
    if branch:
        tags[BRANCH] = branch
    if command:
        tags[SOURCE_NAME] = command[0]
    tags.update({data_tag(path): md5 for path, md5 in data.items()})
    tags.update(extra or {})
    return tags


def login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
