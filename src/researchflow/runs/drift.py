"""What changed between a run's commit and HEAD, in the terms a user acts on: params
(old → new), code files, data files, and pipeline stages `dvc status` would call changed.

Everything is read from git objects (no checkout, no `import dvc`), so a plain `rflow check`
can afford it: a rerun costs minutes, this costs a fraction of a second.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from researchflow.adapters import git as gitrepo
from researchflow.adapters import gitobjects
from researchflow.adapters.dvc_pipeline import (
    DEFAULT_PARAMS,
    LOCK_FILE,
    Pipeline,
    flatten,
    parse_pipeline,
    parse_values,
    pipeline_files,
)
from researchflow.base.frozen import frozen

DVC_FILE = ".dvc"


@frozen
class ParamChange:
    name: str
    old: str | None
    new: str | None

    def __str__(self) -> str:
        return f"{self.name} {self.old if self.old is not None else '(none)'} → " + (
            self.new if self.new is not None else "(removed)"
        )


@frozen
class Changes:
    params: tuple[ParamChange, ...] = ()
    code: tuple[str, ...] = ()
    data: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.params or self.code or self.data)

    def __str__(self) -> str:
        parts = []
        if self.params:
            parts.append("params " + ", ".join(str(p) for p in self.params))
        if self.code:
            parts.append("code " + ", ".join(self.code))
        if self.data:
            parts.append("data " + ", ".join(self.data))
        return "; ".join(parts) or "nothing rflow can name"


def _text(value: Any) -> str:
    import json

    return value if isinstance(value, str) else json.dumps(value, default=str)


def params_at(root: Path, rev: str, pipeline: Pipeline | None = None) -> dict[str, str]:
    """Every params file the pipeline names (and params.yaml), flattened, at `rev`."""
    pipeline = pipeline if pipeline is not None else parse_pipeline(pipeline_files(root, rev))
    names = list(dict.fromkeys((DEFAULT_PARAMS, *pipeline.params_files)))
    blobs = gitobjects.read_files(root, rev, names)
    params: dict[str, str] = {}
    for name in names:
        if name not in blobs:
            continue
        prefix = "" if name == DEFAULT_PARAMS else f"{name}:"
        text = blobs[name].decode("utf-8", errors="replace")
        for key, value in parse_values(text, name).items():
            params[prefix + key] = _text(value)
    return params


def param_changes(old: Mapping[str, str], new: Mapping[str, str]) -> tuple[ParamChange, ...]:
    return tuple(
        ParamChange(key, old.get(key), new.get(key))
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    )


def changes_between(root: Path, commit: str, head: str, research_dir: str) -> Changes:
    """Params, code and data that differ between two revisions (rflow's own records and
    DVC's lock file left out: they change with every run)."""
    params = param_changes(params_at(root, commit), params_at(root, head))
    names = gitrepo.git(root, "diff", "--name-only", "-z", commit, head).split("\0")
    code: list[str] = []
    data: list[str] = []
    prefix = research_dir.strip("/") + "/"
    param_files = {DEFAULT_PARAMS, *parse_pipeline(pipeline_files(root, head)).params_files}
    for name in filter(None, names):
        base = posixpath.basename(name)
        if name.startswith(prefix) or base in (LOCK_FILE, ".gitignore") or name in param_files:
            continue
        if name.endswith(DVC_FILE):
            data.append(name.removesuffix(DVC_FILE))
        else:
            code.append(name)
    return Changes(params, tuple(code), tuple(data))


def stale_stages(root: Path, rev: str) -> list[str]:
    """Stages whose recorded params or dependencies differ from what `rev` holds: a code
    file's content, a `.dvc` file's or another stage's recorded md5, a param's value —
    what `dvc status` reports as changed, read from git objects alone."""
    from researchflow.adapters.dvc import data_versions
    from researchflow.runs.pipeline_run import file_md5

    files = pipeline_files(root, rev)
    stale: list[str] = []
    tracked = set(gitrepo.list_files(root, rev))
    versions = data_versions(root, rev=rev) if files else {}
    for lock_name in sorted(n for n in files if posixpath.basename(n) == LOCK_FILE):
        lock = _yaml(files[lock_name])
        if not isinstance(lock, dict):
            continue
        folder = posixpath.dirname(lock_name)
        for stage, body in (lock.get("stages") or {}).items():
            if not isinstance(body, dict):
                continue
            reasons = _stage_changes(root, rev, folder, body, tracked, file_md5)
            reasons += _data_changes(folder, body, versions)
            stale.extend(f"{stage}: {reason}" for reason in reasons)
    return stale


def _stage_changes(
    root: Path, rev: str, folder: str, body: dict[str, Any], tracked: set[str], md5: Any
) -> list[str]:
    reasons: list[str] = []
    deps = {
        posixpath.normpath(posixpath.join(folder, str(d["path"]))): str(d.get("md5") or "")
        for d in body.get("deps") or []
        if isinstance(d, dict) and d.get("path")
    }
    in_git = [p for p in deps if p in tracked]
    blobs = gitobjects.read_files(root, rev, in_git) if in_git else {}
    for path in in_git:
        if path in blobs and deps[path] and md5(blobs[path]) != deps[path]:
            reasons.append(f"{path} modified")
    for file, values in (body.get("params") or {}).items():
        name = posixpath.normpath(posixpath.join(folder, str(file)))
        recorded = {k: _text(v) for k, v in flatten(values).items()}
        blob = gitobjects.read_files(root, rev, [name]).get(name)
        current = parse_values(blob.decode("utf-8", errors="replace"), name) if blob else {}
        for key, value in recorded.items():
            now = _text(current[key]) if key in current else None
            if now != value:
                reasons.append(f"{name} {key} {value} → {now if now is not None else '(removed)'}")
    return reasons


def _data_changes(folder: str, body: dict[str, Any], versions: dict[str, str]) -> list[str]:
    """Dependencies DVC tracks whose recorded md5 is not what the DVC files now name."""
    reasons = []
    for dep in body.get("deps") or []:
        if not isinstance(dep, dict) or not dep.get("path") or not dep.get("md5"):
            continue
        path = posixpath.normpath(posixpath.join(folder, str(dep["path"])))
        now = versions.get(path)
        if now is not None and now != str(dep["md5"]):
            reasons.append(f"{path} modified (md5 {str(dep['md5'])[:8]} → {now[:8]})")
    return reasons


def _yaml(text: str) -> Any:
    import yaml

    from researchflow.base import safeyaml

    try:
        return safeyaml.load(text)
    except yaml.YAMLError:
        return None
