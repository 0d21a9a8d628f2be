"""How many runs a hypothesis folder's runs.yaml lists, for the portfolio (pure).

status reads hundreds of them: the file rflow writes is read without PyYAML (`plainyaml`:
status then never imports it, ~40 ms); anything else is counted from PyYAML's events with
nothing built, and anything unusual is read in full.
"""

from __future__ import annotations

from researchflow.base import TYPE_CHECKING
from researchflow.documents.plainyaml import read_plain

if TYPE_CHECKING:
    from typing import Any

PLAIN_LIMIT = 1024 * 1024  # a bigger runs.yaml goes to PyYAML, which applies its limits


def count_runs(raw: bytes | None) -> int | None:
    """Entries under `runs:` in a runs.yaml; 0 when absent, None when unreadable."""
    if raw is None:
        return 0
    plain = _read_plain(raw)
    if plain is not None:
        return _count(plain)
    import yaml

    from researchflow.base import safeyaml

    counted = _count_entries(raw)
    if counted is not None:
        return counted
    try:
        data = safeyaml.load(raw)
    except yaml.YAMLError:
        return None
    return _count(data)


def _read_plain(raw: bytes) -> dict[str, Any] | None:
    if len(raw) > PLAIN_LIMIT or raw.startswith(b"\xef\xbb\xbf"):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    found = read_plain(text)
    return found[0] if found is not None else None


def _count(data: Any) -> int | None:
    """The full reader's answer for a loaded file."""
    if data is None:
        return 0
    if not isinstance(data, dict):
        return None
    runs = data.get("runs") or []
    return len(runs) if isinstance(runs, list) else None


def _count_entries(raw: bytes) -> int | None:
    """The usual runs.yaml (one mapping whose `runs` is a list, or without `runs`) counted
    from the parser's events, nothing built: status reads hundreds. None for anything
    else (anchors, tags, a `runs` that is not a list, bad YAML): the full reader decides."""
    import yaml

    from researchflow.base import safeyaml

    if len(raw) > safeyaml.MAX_BYTES:
        return None
    try:
        loader = safeyaml.SafeLoader(safeyaml.decode(raw))
    except (yaml.YAMLError, ValueError):
        return None
    depth, documents, count = 0, 0, 0
    key = True  # at depth 1: the next node is a key (else a value)
    in_runs = False  # the value being read is `runs`'s
    get = loader.get_event
    try:
        while True:
            event = get()
            kind = type(event)
            if kind is yaml.ScalarEvent:
                if event.anchor is not None or event.tag not in (None, "!"):
                    return None
                if depth == 0:
                    return None
                if depth == 1:
                    if key:
                        in_runs = event.value == "runs"
                    elif in_runs:
                        return None  # `runs: ~`, `runs: ''`…: the full reader decides
                    key = not key
                elif depth == 2 and in_runs:
                    count += 1
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                if event.anchor is not None or event.tag not in (None, "!"):
                    return None
                if depth == 0 and kind is not yaml.MappingStartEvent:
                    return None
                if depth == 1:
                    if key or (in_runs and kind is not yaml.SequenceStartEvent):
                        return None
                    if in_runs:
                        count = 0
                elif depth == 2 and in_runs:
                    count += 1
                depth += 1
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                depth -= 1
                if depth == 1:
                    key, in_runs = True, False
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    return None
            elif kind is yaml.StreamEndEvent:
                break
            elif kind is not yaml.StreamStartEvent and kind is not yaml.DocumentEndEvent:
                return None  # an alias
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    return count
