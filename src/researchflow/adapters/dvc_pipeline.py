"""A DVC pipeline as rflow sees it: inputs, outputs, params files, metrics and plots.

Read from `dvc.yaml` and `dvc.lock` as YAML (no `import dvc`: it costs half a second), on
disk or at a git revision. The split that matters for provenance:

- *outputs* are what a stage produces (`outs`, `metrics`, `plots` of a stage in dvc.lock);
- *inputs* are what the pipeline cannot rebuild: a stage dependency that no stage produces
  and git does not track (`.dvc`-tracked data is listed by `dvc.data_versions`).

Metrics are the files `dvc.yaml` declares (top-level `metrics:` — where dvclive writes its
own — and a stage's `metrics:`), flattened the way `dvc metrics show` names them
(`roc_auc.test`).
"""

from __future__ import annotations

import json
import math
import posixpath
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from researchflow.adapters import gitobjects
from researchflow.base.errors import UserError
from researchflow.base.frozen import field, frozen

LOCK_FILE = "dvc.lock"
STAGES_FILE = "dvc.yaml"
DEFAULT_PARAMS = "params.yaml"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg", ".gif")


@frozen
class Pipeline:
    """What one repository's dvc.yaml files (and their locks) declare."""

    outputs: dict[str, str] = field(default_factory=dict)  # path → md5 (lock outs)
    output_paths: frozenset[str] = frozenset()  # declared outs, locked or not
    dependencies: dict[str, str] = field(default_factory=dict)  # path → md5 (lock deps)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)  # lock: file → key → value
    params_files: tuple[str, ...] = ()  # every params file a stage or dvc.yaml names
    metrics_files: tuple[str, ...] = ()
    plots: tuple[str, ...] = ()  # declared plot files or folders
    uncached: frozenset[str] = frozenset()  # outputs with `cache: false`: kept in git

    @property
    def exists(self) -> bool:
        return bool(self.output_paths or self.dependencies or self.metrics_files)

    def produced(self, path: str) -> bool:
        """True when `path` is (inside) a stage output."""
        path = posixpath.normpath(path.strip("/"))
        return any(path == out or path.startswith(out + "/") for out in self.output_paths)

    def inputs(self, git_tracked: set[str]) -> dict[str, str]:
        """Stage dependencies no stage produces and git does not track: path → md5."""
        return {
            path: md5
            for path, md5 in self.dependencies.items()
            if not self.produced(path) and path not in git_tracked
        }


def _load(text: str | None, name: str) -> Any:
    from researchflow.base import safeyaml

    return safeyaml.load_file_text(text, name) if text else None


def _entry_paths(entries: Any) -> list[tuple[str, Any]]:
    """dvc.yaml lists hold `path` or `{path: {flags}}`; → (path, flags)."""
    found: list[tuple[str, Any]] = []
    for entry in entries or []:
        if isinstance(entry, str):
            found.append((entry, None))
        elif isinstance(entry, dict):
            found.extend((str(key), value) for key, value in entry.items())
    return found


def _join(folder: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(folder, path))


def parse_pipeline(files: Mapping[str, str]) -> Pipeline:
    """The pipeline of every `dvc.yaml` (and the `dvc.lock` beside it) among `files`."""
    outputs: dict[str, str] = {}
    declared: set[str] = set()
    uncached: set[str] = set()
    deps: dict[str, str] = {}
    params: dict[str, dict[str, Any]] = {}
    params_files: list[str] = []
    metrics: list[str] = []
    plots: list[str] = []
    for name in sorted(files):
        if posixpath.basename(name) != STAGES_FILE:
            continue
        folder = posixpath.dirname(name)
        data = _load(files[name], name)
        if not isinstance(data, dict):
            continue
        found = data.get("stages")
        stages: dict[str, Any] = found if isinstance(found, dict) else {}
        for path, _flags in _entry_paths(data.get("metrics")):
            metrics.append(_join(folder, path))
        for path, flags in _entry_paths(data.get("plots")):
            # top-level plots: `path`, `{path: {x, y}}` or `{name: {y: {file: field}}}`
            ys = flags.get("y") if isinstance(flags, dict) else None
            if isinstance(ys, dict):
                plots.extend(_join(folder, str(f)) for f in ys)
            else:
                plots.append(_join(folder, path))
        for path, _flags in _entry_paths(data.get("params")):
            params_files.append(_join(folder, path))
        for stage in stages.values():
            if not isinstance(stage, dict):
                continue
            wdir = _join(folder, str(stage.get("wdir") or "."))
            for kind in ("outs", "metrics", "plots"):
                for path, flags in _entry_paths(stage.get(kind)):
                    declared.add(_join(wdir, path))
                    if isinstance(flags, dict) and flags.get("cache") is False:
                        uncached.add(_join(wdir, path))
                    if kind == "metrics":
                        metrics.append(_join(wdir, path))
                    if kind == "plots":
                        plots.append(_join(wdir, path))
            for entry in stage.get("params") or []:
                if isinstance(entry, dict):
                    params_files.extend(_join(wdir, str(f)) for f in entry)
                else:
                    params_files.append(_join(wdir, DEFAULT_PARAMS))
        lock_name = posixpath.join(folder, LOCK_FILE)
        lock = _load(files.get(lock_name), lock_name)
        if not isinstance(lock, dict):
            continue
        for stage_name, stage in (lock.get("stages") or {}).items():
            if not isinstance(stage, dict):
                continue
            definition = stages.get(str(stage_name).split("@", 1)[0])
            lock_wdir: Any = definition.get("wdir") if isinstance(definition, dict) else None
            base = _join(folder, str(lock_wdir or "."))
            for out in stage.get("outs") or []:
                if isinstance(out, dict) and out.get("path"):
                    path = _join(base, str(out["path"]))
                    declared.add(path)
                    if out.get("md5"):
                        outputs[path] = str(out["md5"])
            for dep in stage.get("deps") or []:
                if isinstance(dep, dict) and dep.get("path") and dep.get("md5"):
                    deps[_join(base, str(dep["path"]))] = str(dep["md5"])
            for file, values in (stage.get("params") or {}).items():
                if isinstance(values, dict):
                    params.setdefault(_join(base, str(file)), {}).update(values)
    return Pipeline(
        outputs=dict(sorted(outputs.items())),
        output_paths=frozenset(declared),
        dependencies=dict(sorted(deps.items())),
        params=params,
        params_files=tuple(dict.fromkeys([*params_files, *params])),
        metrics_files=tuple(dict.fromkeys(metrics)),
        plots=tuple(dict.fromkeys(plots)),
        uncached=frozenset(uncached),
    )


def pipeline_files(root: Path, rev: str | None = None) -> dict[str, str]:
    """Every dvc.yaml and dvc.lock the repository tracks (or holds on disk), by path."""
    from researchflow.adapters import git as gitrepo

    names = [
        name
        for name in gitrepo.list_files(root, rev)
        if posixpath.basename(name) == STAGES_FILE and not name.startswith(".dvc/")
    ]
    names += [posixpath.join(posixpath.dirname(n), LOCK_FILE) for n in names]
    if rev is None:
        raw: dict[str, bytes] = {}
        for name in names:
            try:
                raw[name] = (root / name).read_bytes()
            except (FileNotFoundError, IsADirectoryError):
                continue
    else:
        raw = gitobjects.read_files(root, rev, names)
    return {name: data.decode("utf-8", errors="replace") for name, data in raw.items()}


def read_pipeline(root: Path, rev: str | None = None) -> Pipeline:
    return parse_pipeline(pipeline_files(root, rev))


# --- metrics and params files ---------------------------------------------------------


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings → `a.b.c` keys, as `dvc metrics show` and `dvc params diff` name them."""
    flat: dict[str, Any] = {}
    if not isinstance(data, dict):
        return flat
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def parse_values(text: str, name: str) -> dict[str, Any]:
    """A JSON, YAML or TOML metrics/params file → flattened key → value."""
    if name.endswith(".toml"):
        import tomllib

        try:
            return flatten(tomllib.loads(text))
        except tomllib.TOMLDecodeError:
            raise UserError(f"{name}: invalid TOML (fix it, or rerun the stage)") from None
    if name.endswith(".json"):
        try:
            return flatten(json.loads(text))
        except ValueError:
            raise UserError(f"{name}: invalid JSON (fix it, or rerun the stage)") from None
    return flatten(_load(text, name))


def numeric(values: Mapping[str, Any]) -> dict[str, float]:
    """The finite numbers among flattened values (booleans are not metrics)."""
    found: dict[str, float] = {}
    for key, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if math.isfinite(float(value)):
            found[key] = float(value)
    return found


def read_metrics(
    root: Path, pipeline: Pipeline, only: Collection[str] | None = None
) -> dict[str, float]:
    """Every declared metrics file on disk (or those in `only`), flattened; a key two files
    share is prefixed with its file (`eval/metrics.json:roc_auc`), as `dvc exp show` tells
    them apart."""
    per_file: dict[str, dict[str, float]] = {}
    for name in pipeline.metrics_files:
        if only is not None and name not in only:
            continue
        path = root / name
        try:
            text = path.read_text(encoding="utf-8")
        except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError):
            continue
        per_file[name] = numeric(parse_values(text, name))
    counts: dict[str, int] = {}
    for values in per_file.values():
        for key in values:
            counts[key] = counts.get(key, 0) + 1
    metrics: dict[str, float] = {}
    for name, values in per_file.items():
        for key, value in values.items():
            metrics[key if counts[key] == 1 else f"{name}:{key}"] = value
    return metrics


def read_params_files(root: Path, files: tuple[str, ...]) -> dict[str, str]:
    """Params of every file, flattened; `params.yaml`'s unprefixed, others `file:key`."""
    params: dict[str, str] = {}
    for name in dict.fromkeys((DEFAULT_PARAMS, *files)):
        path = root / name
        try:
            text = path.read_text(encoding="utf-8")
        except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError):
            continue
        prefix = "" if name == DEFAULT_PARAMS else f"{name}:"
        for key, value in parse_values(text, name).items():
            shown = value if isinstance(value, str) else json.dumps(value, default=str)
            params[f"{prefix}{key}"] = shown
    return params


def file_stamps(root: Path, names: Collection[str]) -> dict[str, tuple[int, int]]:
    """name → (mtime_ns, size) of the files that exist: enough to see what a command wrote."""
    stamps: dict[str, tuple[int, int]] = {}
    for name in names:
        try:
            info = (root / name).stat()
        except OSError:
            continue
        stamps[name] = (info.st_mtime_ns, info.st_size)
    return stamps


def plot_files(root: Path, pipeline: Pipeline) -> list[Path]:
    """The declared plot files on disk (a declared folder: the files in it)."""
    found: list[Path] = []
    for name in pipeline.plots:
        path = root / name
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file()))
    for name in pipeline.metrics_files:  # dvclive keeps its images beside its metrics
        images = (root / name).parent / "plots" / "images"
        if images.is_dir():
            found.extend(sorted(p for p in images.rglob("*") if p.suffix in IMAGE_SUFFIXES))
    return list(dict.fromkeys(found))


# --- commands -------------------------------------------------------------------------


def _dvc_at(argv: list[str]) -> int | None:
    """Where `dvc` stands in argv (`dvc …` or `python -m dvc …`), None when it is not DVC."""
    if argv and posixpath.basename(argv[0]) == "dvc":
        return 0
    if len(argv) > 2 and "python" in posixpath.basename(argv[0]) and argv[1:3] == ["-m", "dvc"]:
        return 2
    return None


def is_pipeline_command(argv: Sequence[str]) -> bool:
    """`dvc repro …` or `dvc exp run …`: DVC itself rebuilds the pipeline's outputs."""
    items = list(argv)
    at = _dvc_at(items)
    if at is None:
        return False
    rest = items[at + 1 :]
    return rest[:1] == ["repro"] or rest[:2] == ["exp", "run"]


def forced(argv: Sequence[str]) -> list[str]:
    """A pipeline command made to execute every stage (`--force`): a rerun must compute,
    not restore cached outputs. Other commands are returned unchanged."""
    items = list(argv)
    at = _dvc_at(items)
    if at is None or not is_pipeline_command(items):
        return items
    rest = items[at + 1 :]
    if "-f" in rest or "--force" in rest:
        return items
    sub = at + (2 if rest[:1] == ["repro"] else 3)
    return [*items[:sub], "--force", *items[sub:]]
