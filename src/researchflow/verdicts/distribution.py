"""Where the installed rflow came from, as a pip requirement CI can install again.

The package name `researchflow` on the public index belongs to someone else, so a bare
name is never a safe spec. The spec comes from the installation's own metadata (PEP 610
`direct_url.json`): a VCS install names its repository and commit; a local checkout names
its remote at the tag of its version when that tag exists. Anything else gives None, and
the CI job then asks for `RFLOW_PIP_SPEC` instead of guessing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

DIST_NAME = "researchflow"


def installed_spec() -> str | None:
    """`researchflow @ git+URL@REV` for the installed rflow, or None when unknown."""
    from importlib import metadata

    try:
        dist = metadata.distribution(DIST_NAME)
    except metadata.PackageNotFoundError:
        return None
    raw = dist.read_text("direct_url.json")
    if not raw:
        return None  # from an index: which one is not recorded, so do not guess
    try:
        direct = json.loads(raw)
    except ValueError:
        return None
    return spec_from_direct_url(direct, dist.version, _checkout_remote)


def spec_from_direct_url(  # type: ignore[no-untyped-def]
    direct: dict[str, Any], version: str, remote_of=None
) -> str | None:
    """The spec for a PEP 610 record (pure apart from `remote_of(folder, tag)`)."""
    url = direct.get("url")
    if not isinstance(url, str) or not url:
        return None
    vcs = direct.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") == "git":
        revision = vcs.get("commit_id") or vcs.get("requested_revision")
        if not _shareable(url):
            return None
        return f"{DIST_NAME} @ git+{url}@{revision}" if revision else f"{DIST_NAME} @ git+{url}"
    if url.startswith("file://") and remote_of is not None:
        folder = Path(unquote(urlparse(url).path))
        found = remote_of(folder, f"v{version}")
        if found:
            return f"{DIST_NAME} @ git+{found}@v{version}"
        return None
    if _shareable(url) and not url.startswith("file://"):
        return f"{DIST_NAME} @ {url}"  # an archive URL
    return None


def _shareable(url: str) -> bool:
    """A URL another machine can reach (not a path on this one)."""
    return "://" in url and not url.startswith("file://")


def _checkout_remote(folder: Path, tag: str) -> str | None:
    """The checkout's origin URL when the tag exists there, else None."""
    from researchflow.adapters.git import git
    from researchflow.base.errors import RflowError

    try:
        url = git(folder, "remote", "get-url", "origin", check=False).strip()
        tagged = git(folder, "rev-parse", "--verify", "--quiet", f"refs/tags/{tag}", check=False)
    except (RflowError, OSError):
        return None
    if not url or not tagged.strip():
        return None
    if url.startswith("git@") and ":" in url:  # scp-like syntax → an ssh URL pip accepts
        host, path = url[4:].split(":", 1)
        url = f"ssh://git@{host}/{path}"
    return url if _shareable(url) else None
