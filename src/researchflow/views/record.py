"""The hand-over record of one hypothesis: its files, a manifest with checksums, and the
verification of a record someone sent (pure: bytes in, bytes or findings out).

The record is a zip a reviewer without access to the repository (an OSF pre-registration,
an audit) can read: every member is listed in `manifest.json` with its SHA-256, so a
changed or added member is found by `rflow export --verify`.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from typing import Any

from researchflow.base.frozen import frozen

MANIFEST = "manifest.json"
FORMAT = "researchflow-record/1"
# Fixed member times: the same content gives the same zip, byte for byte.
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


@frozen
class Registration:
    """One row of the registration table: the approval, a deviation or a re-approval."""

    kind: str  # approval | deviation | reapproval
    field: str  # approval, deviations[0], reapprovals[0]
    by: str
    at: str
    digest: str
    commit: str  # the commit that introduced it ("" when history could not be read)
    reason: str = ""


def registrations_markdown(rows: Sequence[Registration]) -> str:
    lines = [
        "| kind | field | by | at | commit | reason |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        cells = (row.kind, row.field, row.by, row.at, row.commit[:12], row.reason)
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_zip(members: Mapping[str, bytes], about: Mapping[str, Any]) -> bytes:
    """A zip of `members` plus `manifest.json` naming each member's size and SHA-256."""
    manifest = {
        "format": FORMAT,
        **about,
        "files": {
            name: {"sha256": sha256(data), "bytes": len(data)}
            for name, data in sorted(members.items())
        },
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        everything = {**members, MANIFEST: _json_bytes(manifest)}
        for name, data in sorted(everything.items()):
            archive.writestr(zipfile.ZipInfo(name, _ZIP_TIME), data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, default=str) + "\n").encode("utf-8")


json_bytes = _json_bytes


@frozen
class Verification:
    manifest: Mapping[str, Any]
    problems: tuple[str, ...]  # one line each; empty when the record is intact
    checked: int  # members whose checksum was compared

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_zip(data: bytes, where: str) -> Verification:
    """Every member against the manifest: changed, missing and unlisted members named."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
        if MANIFEST not in names:
            return Verification({}, (f"{where}: {MANIFEST}: missing (not an rflow record)",), 0)
        manifest = json.loads(archive.read(MANIFEST))
        listed = manifest.get("files") if isinstance(manifest, dict) else None
        if not isinstance(listed, dict):
            return Verification({}, (f"{where}: {MANIFEST}: files: missing or not a map",), 0)
        problems: list[str] = []
        checked = 0
        for name, expected in sorted(listed.items()):
            if name not in names:
                problems.append(f"{where}: {name}: listed in the manifest but missing")
                continue
            checked += 1
            want = expected.get("sha256") if isinstance(expected, dict) else None
            if sha256(archive.read(name)) != want:
                problems.append(f"{where}: {name}: checksum differs from the manifest (changed)")
        for name in sorted(set(names) - set(listed) - {MANIFEST}):
            problems.append(f"{where}: {name}: not in the manifest (added after export)")
        return Verification(manifest, tuple(problems), checked)
    except (zipfile.BadZipFile, ValueError, KeyError, OSError) as error:
        return Verification({}, (f"{where}: not a readable zip record ({error})",), 0)
