"""What a run starts from, read before it is created (pure apart from reading files): the
plan's predicted metrics and data, params.yaml as DVC names its values, and which changed
paths make a run unreproducible."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from researchflow.base.errors import UserError
from researchflow.base.names import RUNS_FILE

PARAMS_FILE = "params.yaml"
MAX_PARAM = 5000  # below MLflow's limit for param values (6000)


def predicted_metrics(plan_path: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The metric keys the plan predicts and the data paths it names (front matter only)."""
    from researchflow.documents.document import DocumentError, parse_document

    try:
        front = parse_document(plan_path.read_bytes()).front_matter
    except DocumentError as error:
        raise UserError(f"{plan_path}:{error.line}: {error.message} ({error.fix})") from None
    metrics = tuple(
        str(p["metric"])
        for p in front.get("predictions") or []
        if isinstance(p, dict) and isinstance(p.get("metric"), str)
    )
    data = tuple(str(d) for d in front.get("data") or [] if isinstance(d, str) and d.strip())
    return metrics, data


def unrecorded_dirt(paths: list[str], research_dir: str) -> list[str]:
    """Changed paths that make a run unreproducible: rflow's own bookkeeping is not dirt."""
    prefix = research_dir.strip("/") + "/"

    def bookkeeping(path: str) -> bool:
        if path == ".rflow" or path.startswith(".rflow/"):
            return True
        inside = path.removeprefix(prefix) if path.startswith(prefix) else None
        if inside is None or inside.count("/") != 1:
            return False
        name = inside.rsplit("/", 1)[1]
        # a concurrent run's atomic write of runs.yaml shows up as `.runs.yaml.<random>.tmp`
        return name == RUNS_FILE or (name.startswith(f".{RUNS_FILE}.") and name.endswith(".tmp"))

    return [path for path in paths if not bookkeeping(path)]


def read_params(root: Path) -> dict[str, str]:
    """params.yaml flattened the way DVC names them (`train.lr`), values as text."""
    import yaml

    from researchflow.base import safeyaml

    path = root / PARAMS_FILE
    if not path.is_file():
        return {}
    try:
        data = safeyaml.load(path.read_bytes())
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise UserError(f"{PARAMS_FILE}:{line}: invalid YAML (fix the syntax)") from None
    return flatten_params(data) if isinstance(data, dict) else {}


def flatten_params(data: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten_params(value, f"{name}."))
        else:
            text = value if isinstance(value, str) else json.dumps(value, default=str)
            flat[name] = text[:MAX_PARAM]
    return flat
