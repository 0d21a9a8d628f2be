"""The stricter identity modes of the registration level (config `identity.mode`).

- `author` (the default): the replay's rule alone: each record's commit was authored by
  its `by:` person (history.py).
- `gitlab`: in a merge-request pipeline with a token, each approver the merge request
  introduces is among the users GitLab lists as having approved the MR, by GitLab username
  or user id (never by display name).
- `signature`: each approval commit the merge request introduces carries a good SSH or GPG
  signature from a key that the allowed-signers file on the target branch lists for that
  person (by name, or by one of the e-mails `people:` maps the name to).

Records already on the target branch were judged when they merged and are not judged again.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

from researchflow.base.names import CI_MERGE_REQUEST_IID, GITLAB_TOKEN
from researchflow.documents.config import Config
from researchflow.verdicts.history import APPROVAL, REAPPROVAL, Finding, Record, short


def approvals_to_verify(records: tuple[Record, ...]) -> list[Record]:
    return [r for r in records if r.kind in (APPROVAL, REAPPROVAL) and not r.commit.trusted]


def gitlab_findings(config: Config, records: list[Record], env: Mapping[str, str]) -> list[Finding]:
    if not records:
        return []
    iid = env.get(CI_MERGE_REQUEST_IID, "")
    from researchflow.adapters import gitlab

    token = gitlab.token_from_env(env)
    if not iid.isdigit() or token is None:
        missing = CI_MERGE_REQUEST_IID if not iid.isdigit() else GITLAB_TOKEN
        return [
            Finding(
                records[0].field + ".by",
                f"identity mode gitlab: cannot ask GitLab who approved ({missing} is unset)",
                "run the check in a merge-request pipeline with GITLAB_TOKEN set "
                "(a project access token that can read merge requests)",
            )
        ]
    from researchflow.adapters.git import remote_url

    target = gitlab.resolve_target(
        config.gitlab.url,
        config.gitlab.project,
        remote_url(config.root, config.gitlab.remote),
        env,
    )
    if target is None:
        return [
            Finding(
                records[0].field + ".by",
                "identity mode gitlab: cannot tell the GitLab project",
                "set CI_SERVER_URL and CI_PROJECT_PATH, or gitlab.url and gitlab.project",
            )
        ]
    project = gitlab.open_project(target, token)
    approvers = gitlab.merge_request_approvers(project, int(iid))
    # usernames and ids only: a display name is whatever its owner typed
    names = {_fold(n) for pair in approvers for n in pair if n}
    findings = []
    for record in records:
        if _fold(record.by) in names:
            continue
        shown = ", ".join(sorted(u for u, _ in approvers if u)) or "nobody"
        findings.append(
            Finding(
                record.field + ".by",
                f"{record.field} says by: {record.by}, but GitLab lists {shown} as having "
                f"approved merge request !{iid}",
                f"{record.by} approves the merge request in GitLab",
            )
        )
    return findings


def signature_findings(config: Config, records: list[Record], base: str | None) -> list[Finding]:
    if not records:
        return []
    from researchflow.adapters.git import signature_status
    from researchflow.adapters.gitobjects import read_blobs

    path = config.identity.allowed_signers or ""
    raw = read_blobs(config.root, [(base, path)]).get((base, path)) if base else None
    if raw is None:
        return [
            Finding(
                records[0].field + ".by",
                f"identity mode signature: {path} is not on the target branch",
                "a maintainer commits the allowed-signers file to the target branch first",
            )
        ]
    people = {_fold(k): {e.casefold() for e in v} for k, v in config.people_map.items()}
    findings = []
    with tempfile.TemporaryDirectory(prefix="rflow-signers-") as scratch:
        signers = Path(scratch) / "allowed_signers"
        signers.write_bytes(raw)
        for record in records:
            status, signer = signature_status(config.root, record.commit.sha, signers)
            allowed = {_fold(record.by), *people.get(_fold(record.by), set())}
            where = f"{record.field} (commit {short(record.commit.sha)})"
            if status != "G":
                why = {"N": "is not signed", "B": "has a bad signature"}.get(
                    status, f"has a signature {path} does not vouch for (git says {status})"
                )
                findings.append(
                    Finding(
                        record.field + ".by",
                        f"{where} {why}",
                        f"{record.by} commits the approval signed (`git commit -S`) with a key "
                        f"listed in {path}",
                    )
                )
            elif _fold(signer) not in allowed:
                findings.append(
                    Finding(
                        record.field + ".by",
                        f"{where} is signed by {signer}, not by {record.by}",
                        f"{record.by} signs the approval commit with their own key",
                    )
                )
    return findings


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()
