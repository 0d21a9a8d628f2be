"""DVC data versions from `dvc.lock` and `*.dvc` files, and cache/remote presence.

The files are read as YAML rather than through DVC's Repo (which costs about half a second
to import and wants a checkout): at a git revision they come straight from git objects.
"DVC-tracked" means an output DVC manages: an `outs` entry of a `.dvc` file or of a
`dvc.lock` stage. A stage's dependencies are listed as well when they are such outputs;
code files a stage depends on are git's business and are left out.
"""

from __future__ import annotations

import configparser
import json
import posixpath
from pathlib import Path
from typing import Any

from researchflow.adapters import git as gitrepo
from researchflow.adapters import gitobjects
from researchflow.base.errors import ServiceUnavailable, UserError

LOCK_FILE = "dvc.lock"
STAGES_FILE = "dvc.yaml"


def data_versions(
    root: Path, paths: list[str] | tuple[str, ...] | None = None, rev: str | None = None
) -> dict[str, str]:
    """DVC-tracked path → md5 (a directory's is DVC's `….dir` md5), at `rev` or on disk.

    With `paths`, only the entries for those paths: the path itself, anything tracked
    under it, or the tracked directory that holds it.
    """
    files = _dvc_files(root, rev)
    versions: dict[str, str] = {}
    for name, text in sorted(files.items()):
        if name.endswith(".dvc"):
            versions.update(parse_dvc_file(text, name))
    for name, text in sorted(files.items()):
        if posixpath.basename(name) == LOCK_FILE:
            stages = files.get(posixpath.join(posixpath.dirname(name), STAGES_FILE))
            versions.update(parse_lock(text, name, stages))
    if paths is not None:
        versions = {p: md5 for p, md5 in versions.items() if _wanted(p, paths)}
    return dict(sorted(versions.items()))


def _wanted(tracked: str, wanted: list[str] | tuple[str, ...]) -> bool:
    for path in wanted:
        path = posixpath.normpath(path.strip("/"))
        if tracked == path or tracked.startswith(path + "/") or path.startswith(tracked + "/"):
            return True
    return False


def _dvc_files(root: Path, rev: str | None) -> dict[str, str]:
    names = [
        name
        for name in gitrepo.list_files(root, rev)
        if (name.endswith(".dvc") or posixpath.basename(name) in (LOCK_FILE, STAGES_FILE))
        and not name.startswith(".dvc/")
    ]
    if rev is None:
        raw = {}
        for name in names:
            try:
                raw[name] = (root / name).read_bytes()
            except (FileNotFoundError, IsADirectoryError):
                continue  # deleted in the working tree but still in the index
    else:
        raw = gitobjects.read_files(root, rev, names)
    return {name: data.decode("utf-8", errors="replace") for name, data in raw.items()}


def _load(text: str, name: str) -> Any:
    from researchflow.base import safeyaml

    return safeyaml.load_file_text(text, name)


def parse_dvc_file(text: str, name: str) -> dict[str, str]:
    """The outputs of one `.dvc` file; paths are relative to the file's folder."""
    data = _load(text, name)
    folder = posixpath.dirname(name)
    return _outputs(data.get("outs") if isinstance(data, dict) else None, folder)


def parse_lock(text: str, name: str, stages_text: str | None = None) -> dict[str, str]:
    """The outputs of every stage in one `dvc.lock` (a stage's `wdir` comes from dvc.yaml)."""
    data = _load(text, name)
    if not isinstance(data, dict):
        return {}
    stages = data.get("stages") if "stages" in data else data  # DVC 1 had no `stages:` key
    definitions = _load(stages_text, name) if stages_text else None
    definitions = (definitions or {}).get("stages") if isinstance(definitions, dict) else None
    folder = posixpath.dirname(name)
    versions: dict[str, str] = {}
    for stage_name, stage in (stages or {}).items():
        if not isinstance(stage, dict):
            continue
        base = str(stage_name).split("@", 1)[0]  # foreach/matrix stages are `name@key`
        definition = (definitions or {}).get(base)
        wdir = definition.get("wdir") if isinstance(definition, dict) else None
        stage_folder = posixpath.join(folder, str(wdir)) if wdir else folder
        versions.update(_outputs(stage.get("outs"), stage_folder))
    return versions


def _outputs(entries: Any, folder: str) -> dict[str, str]:
    versions: dict[str, str] = {}
    for entry in entries or []:
        if not isinstance(entry, dict) or not entry.get("path") or not entry.get("md5"):
            continue
        path = posixpath.normpath(posixpath.join(folder, str(entry["path"])))
        versions[path] = str(entry["md5"])
    return versions


def in_git(root: Path, rev: str, path: str, md5: str) -> bool:
    """An output DVC does not cache (`cache: false`) is kept in git: True when git holds
    it at `rev`, a file with this md5, or a directory with files under it."""
    import hashlib

    names = gitrepo.list_files(root, rev)
    if path in names:
        blob = gitobjects.read_files(root, rev, [path]).get(path)
        return blob is not None and hashlib.md5(blob).hexdigest() == md5
    return any(name.startswith(path + "/") for name in names)


# --- presence in the cache or the default remote --------------------------------------


def is_available(root: Path, path: str, md5: str) -> bool:
    """True when the data DVC recorded for `path` is in the local cache or the default remote.

    For a directory (`….dir`) the listing and every file in it must be there.
    """
    config = _dvc_config(root)
    cache = Path(config.get("cache", {}).get("dir") or root / ".dvc" / "cache")
    if _present(cache, md5):
        return True
    remote = config.get("core", {}).get("remote")
    if not remote:
        return False
    url = config.get(f'remote "{remote}"', {}).get("url", "")
    if "://" not in url or url.startswith("file://"):
        local = Path(url.removeprefix("file://"))
        return _present(local, md5)
    return _remote_has(root, remote, md5)


def _dvc_config(root: Path) -> dict[str, dict[str, str]]:
    """`.dvc/config` overlaid with `.dvc/config.local`; relative paths made absolute."""
    merged: dict[str, dict[str, str]] = {}
    folder = root / ".dvc"
    for name in ("config", "config.local"):
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(folder / name, encoding="utf-8")
        except configparser.Error:
            raise UserError(f".dvc/{name}: unreadable (fix it with `dvc config`)") from None
        for section in parser.sections():
            values = merged.setdefault(section.strip("'"), {})
            for key, value in parser.items(section):
                if key in ("dir", "url") and value and "://" not in value:
                    value = str((folder / value).resolve())
                values[key] = value
    return merged


def _object(base: Path, md5: str) -> list[Path]:
    # DVC 3 keeps md5 objects under files/md5/; DVC 2 caches and remotes put them at the top
    return [base / "files" / "md5" / md5[:2] / md5[2:], base / md5[:2] / md5[2:]]


def _present(base: Path, md5: str) -> bool:
    found = next((p for p in _object(base, md5) if p.is_file()), None)
    if found is None:
        return False
    if not md5.endswith(".dir"):
        return True
    try:
        listing = json.loads(found.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return all(_present(base, str(item.get("md5", ""))) for item in listing)


def _remote_has(root: Path, remote: str, md5: str) -> bool:
    """A cloud remote: ask DVC itself (imported only here: it is slow to import)."""
    try:
        from dvc.repo import Repo

        with Repo(str(root)) as repo:
            odb = repo.cloud.get_remote_odb(remote)
            oid = md5.removesuffix(".dir")
            if not odb.exists(md5 if md5.endswith(".dir") else oid):
                return False
            if not md5.endswith(".dir"):
                return True
            listing = json.loads(odb.fs.cat_file(odb.oid_to_path(md5)))
            return all(odb.exists(str(item.get("md5", ""))) for item in listing)
    except Exception as error:  # DVC raises many kinds for network trouble
        raise ServiceUnavailable(
            f"DVC remote {remote!r} could not be checked: {error} (check credentials/network)"
        ) from None
