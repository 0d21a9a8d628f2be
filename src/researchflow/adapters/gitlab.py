"""GitLab: merge requests through git push options (no token) or python-gitlab (token).

Pure helpers come first (push options, which GitLab a remote URL points at); the
python-gitlab client follows, imported lazily. The token is read from the environment
only and handed to python-gitlab, which sends it as the PRIVATE-TOKEN header; it is never
put on a command line, in a file or in a message.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from researchflow.base.errors import ServiceUnavailable, UserError
from researchflow.base.frozen import frozen
from researchflow.base.names import CI_PROJECT_PATH, CI_SERVER_URL, GITLAB_TOKEN

TOKEN_ENV = GITLAB_TOKEN
RETRIES_ENV = "RFLOW_HTTP_RETRIES"
BACKOFF_ENV = "RFLOW_HTTP_BACKOFF"
TIMEOUT_ENV = "RFLOW_HTTP_TIMEOUT"

T = TypeVar("T")


# --- pure: push options and where GitLab is ------------------------------------------


def encode_option_value(text: str) -> str:
    """Push options are single lines: newlines travel as a literal `\\n`."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def merge_request_push_options(
    *, target: str, title: str, description: str, draft: bool = True
) -> list[str]:
    """The `-o` values that make GitLab open a (draft) merge request for the pushed branch."""
    options = [
        "merge_request.create",
        f"merge_request.target={target}",
        f"merge_request.title={encode_option_value(title)}",
        f"merge_request.description={encode_option_value(description)}",
    ]
    if draft:
        options.append("merge_request.draft")
    return options


@frozen
class GitlabTarget:
    """A GitLab instance and a project on it."""

    url: str  # https://gitlab.example.com (no trailing slash, no credentials)
    project: str  # group/subgroup/project

    def merge_request_url(self, iid: int) -> str:
        return f"{self.url}/{self.project}/-/merge_requests/{iid}"


_SCP_LIKE = re.compile(r"^(?:[^@/\s]+@)?(?P<host>[^:/\s]+):(?P<path>[^/\s].*)$")


def target_from_remote_url(remote_url: str | None) -> GitlabTarget | None:
    """`https://[user:token@]host/group/project.git`, `ssh://git@host[:port]/g/p.git` or
    `git@host:group/sub/project.git` → GitLab's https URL and the project path.

    Local paths and file:// URLs give None: there is no GitLab behind them.
    """
    if not remote_url:
        return None
    text = remote_url.strip()
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https", "ssh", "git+ssh", "ssh+git") or not parts.hostname:
            return None
        scheme = parts.scheme if parts.scheme in ("http", "https") else "https"
        host = parts.hostname
        if parts.scheme in ("http", "https") and parts.port:  # an ssh port is not the web's
            host = f"{host}:{parts.port}"
        path = parts.path
    else:
        match = _SCP_LIKE.match(text)
        if match is None or text.startswith(("/", ".")):
            return None
        scheme, host, path = "https", match.group("host"), match.group("path")
    project = path.strip("/").removesuffix(".git").strip("/")
    if "/" not in project:
        return None
    return GitlabTarget(f"{scheme}://{host}", project)


def resolve_target(
    url: str | None,
    project: str | None,
    remote_url: str | None,
    environ: Mapping[str, str] | None = None,
) -> GitlabTarget | None:
    """GitLab CI's own variables (in CI), then configured values, then the remote's URL."""
    env = os.environ if environ is None else environ
    ci = (
        GitlabTarget(env[CI_SERVER_URL].rstrip("/"), env[CI_PROJECT_PATH])
        if env.get(CI_SERVER_URL) and env.get(CI_PROJECT_PATH)
        else None
    )
    if ci is not None:  # in CI, GitLab's own word on where it is comes before the config
        return ci
    derived = target_from_remote_url(remote_url)
    final_url = (url or "").rstrip("/") or (derived.url if derived else None)
    final_project = (project or "").strip("/") or (derived.project if derived else None)
    if not final_url or not final_project:
        return None
    return GitlabTarget(final_url, final_project)


def token_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if environ is None else environ
    return env.get(TOKEN_ENV, "").strip() or None


@frozen
class RetryPolicy:
    """Bounded retries for 5xx answers and timeouts: waits backoff, 2×backoff, …"""

    attempts: int = 3
    backoff: float = 1.0
    timeout: float = 15.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RetryPolicy:
        env = os.environ if environ is None else environ
        default = cls()
        try:
            return cls(
                attempts=max(1, int(env.get(RETRIES_ENV, default.attempts))),
                backoff=max(0.0, float(env.get(BACKOFF_ENV, default.backoff))),
                timeout=max(0.01, float(env.get(TIMEOUT_ENV, default.timeout))),
            )
        except ValueError:
            raise UserError(
                f"{RETRIES_ENV}/{BACKOFF_ENV}/{TIMEOUT_ENV}: must be numbers "
                "(e.g. RFLOW_HTTP_RETRIES=3 RFLOW_HTTP_BACKOFF=1 RFLOW_HTTP_TIMEOUT=15)"
            ) from None

    def delays(self) -> list[float]:
        return [self.backoff * 2**attempt for attempt in range(self.attempts - 1)]


# --- the python-gitlab client -----------------------------------------------------------


@frozen
class MergeRequest:
    iid: int
    web_url: str
    title: str
    created: bool  # False: an open MR for the branch existed and was updated


@frozen
class Note:
    id: int
    created: bool  # False: the note carrying the marker existed and was updated


class GitlabProject:
    """A project on a GitLab instance, every call retried and its errors made one line."""

    def __init__(self, target: GitlabTarget, handle: Any, retry: RetryPolicy) -> None:
        self.target = target
        self.handle = handle  # gitlab.v4.objects.Project
        self.retry = retry

    def call(self, what: str, action: Callable[[], T], *, passthrough: tuple[int, ...] = ()) -> T:
        return call_with_retries(self.target, what, action, self.retry, passthrough=passthrough)


def open_project(
    target: GitlabTarget, token: str, *, retry: RetryPolicy | None = None
) -> GitlabProject:
    """Look the project up (one GET by its URL-encoded path); bad tokens fail here."""
    import gitlab

    refuse_plain_http(target)
    policy = retry or RetryPolicy.from_env()
    client = gitlab.Gitlab(
        target.url,
        private_token=token,
        timeout=policy.timeout,
        retry_transient_errors=False,  # our own bounded, configurable retries instead
        per_page=100,
    )
    handle = call_with_retries(
        target, f"project {target.project}", lambda: client.projects.get(target.project), policy
    )
    return GitlabProject(target, handle, policy)


def refuse_plain_http(target: GitlabTarget) -> None:
    """A token never travels over plain http, except to this machine (loopback)."""
    import ipaddress

    parts = urlsplit(target.url)
    if parts.scheme != "http":
        return
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise UserError(
            f"GitLab at {target.url} is plain http: the token would be sent unencrypted "
            "(use https in gitlab.url, or CI_SERVER_URL)"
        )


def merge_request_approvers(project: GitlabProject, iid: int) -> list[tuple[str, str]]:
    """(username, user id) of each user GitLab lists as having approved the merge request
    (GET /projects/:id/merge_requests/:iid/approvals). Never the display name: anyone can
    name themselves anything."""
    mr = project.handle.mergerequests.get(iid, lazy=True)
    approvals = project.call(f"merge request !{iid} approvals", lambda: mr.approvals.get())
    users = []
    for item in getattr(approvals, "approved_by", None) or []:
        user = item.get("user", {}) if isinstance(item, dict) else {}
        users.append((str(user.get("username", "")), str(user.get("id", ""))))
    return users


def connect(
    root: Path,
    remote: str,
    url: str | None = None,
    project: str | None = None,
    *,
    retry: RetryPolicy | None = None,
) -> GitlabProject | None:
    """The project rflow works with, or None without GITLAB_TOKEN or a known GitLab.

    Where: `url`/`project` (gitlab.url/gitlab.project), else GitLab CI's variables, else
    the URL of `remote`.
    """
    from researchflow.adapters.git import remote_url

    token = token_from_env()
    if token is None:
        return None
    target = resolve_target(url, project, remote_url(root, remote))
    if target is None:
        return None
    return open_project(target, token, retry=retry)


def call_with_retries(
    target: GitlabTarget,
    what: str,
    action: Callable[[], T],
    retry: RetryPolicy,
    *,
    passthrough: tuple[int, ...] = (),
) -> T:
    """Run one API call; retry 5xx and timeouts with backoff; map the rest to one line.

    Errors with a status in `passthrough` are re-raised as python-gitlab raised them.
    """
    import gitlab
    import requests

    delays = retry.delays()
    while True:
        try:
            return action()
        except gitlab.exceptions.GitlabError as error:
            code = error.response_code or 0
            if code in passthrough:
                raise
            if code >= 500 and delays:
                time.sleep(delays.pop(0))
                continue
            raise _api_error(target, what, code, error.error_message) from None
        except (requests.Timeout, requests.ConnectionError) as error:
            if delays:
                time.sleep(delays.pop(0))
                continue
            kind = "timed out" if isinstance(error, requests.Timeout) else "connection failed"
            raise ServiceUnavailable(
                f"GitLab at {target.url} unreachable ({kind} after {retry.attempts} tries): "
                f"{what} (check the URL and your network, then rerun)"
            ) from None


def _message(message: Any) -> str:
    return "; ".join(map(str, message)) if isinstance(message, list) else str(message)


def _api_error(target: GitlabTarget, what: str, code: int, message: Any) -> Exception:
    text = _message(message)
    if code in (401, 403):
        return UserError(
            f"GitLab at {target.url} refused {TOKEN_ENV} ({code}): {what} (set {TOKEN_ENV} "
            "to a token with the api scope and at least Developer access to the project)"
        )
    if code == 404:
        return UserError(
            f"GitLab at {target.url}: {what} not found (404) (set gitlab.project and "
            "gitlab.url in researchflow.yaml, or check the token's access)"
        )
    if code >= 500:
        return ServiceUnavailable(
            f"GitLab at {target.url} answered {code} after retries: {what} (try again later)"
        )
    return UserError(f"GitLab at {target.url} answered {code}: {what}: {text}")


def find_open_merge_request(project: GitlabProject, source_branch: str) -> Any | None:
    found = project.call(
        f"merge requests of {source_branch}",
        lambda: project.handle.mergerequests.list(
            source_branch=source_branch, state="opened", get_all=False
        ),
    )
    return found[0] if found else None


def ensure_draft_merge_request(
    project: GitlabProject,
    *,
    source_branch: str,
    target_branch: str,
    title: str,
    description: str,
) -> MergeRequest:
    """Open the draft MR for the branch, or update the one already open (GitLab answers
    409 to a second one, so a lost race, or a retried create that had in fact succeeded,
    also ends in an update instead of a duplicate)."""
    import gitlab

    fields = {"title": title, "description": description, "target_branch": target_branch}
    existing = find_open_merge_request(project, source_branch)
    if existing is None:
        try:
            created = project.call(
                f"create merge request for {source_branch}",
                lambda: project.handle.mergerequests.create(
                    {**fields, "source_branch": source_branch}
                ),
                passthrough=(409,),
            )
        except gitlab.exceptions.GitlabError as conflict:
            existing = find_open_merge_request(project, source_branch)
            if existing is None:
                raise UserError(
                    f"GitLab at {project.target.url}: {_message(conflict.error_message)} "
                    f"(close the other merge request for {source_branch} and rerun)"
                ) from None
        else:
            url = created.web_url or project.target.merge_request_url(created.iid)
            return MergeRequest(created.iid, url, created.title, created=True)
    iid = existing.iid
    updated = project.call(
        f"update merge request !{iid}",
        lambda: project.handle.mergerequests.update(iid, fields),
    )
    return MergeRequest(
        iid,
        updated.get("web_url") or project.target.merge_request_url(iid),
        updated.get("title", title),
        created=False,
    )


def close_merge_request(project: GitlabProject, iid: int) -> None:
    """Undo for a merge request we opened: close it (deleting needs the Owner role)."""
    project.call(
        f"close merge request !{iid}",
        lambda: project.handle.mergerequests.update(iid, {"state_event": "close"}),
    )


def upsert_note(project: GitlabProject, mr_iid: int, marker: str, body: str) -> Note:
    """One sticky note per marker on a merge request: created once, then edited in place.

    `marker` (e.g. `<!-- rflow:check -->`) is put on the note's first line and is how
    the note is found again; `body` is the Markdown shown below it.
    """
    text = f"{marker}\n{body}"
    notes = project.call(
        f"notes of merge request !{mr_iid}",
        lambda: project.handle.mergerequests.get(mr_iid, lazy=True).notes.list(get_all=True),
    )
    mine = [note.id for note in notes if marker in (getattr(note, "body", "") or "")]
    if mine:
        note_id = mine[0]
        project.call(
            f"update note {note_id} on !{mr_iid}",
            lambda: project.handle.mergerequests.get(mr_iid, lazy=True).notes.update(
                note_id, {"body": text}
            ),
        )
        return Note(note_id, created=False)
    created = project.call(
        f"add a note to !{mr_iid}",
        lambda: project.handle.mergerequests.get(mr_iid, lazy=True).notes.create({"body": text}),
    )
    return Note(created.id, created=True)


def add_issue_note(project: GitlabProject, issue_iid: int, body: str) -> Note:
    """A new comment on an issue (the weekly digest: one comment per week, kept as history)."""
    issue = project.call(f"issue #{issue_iid}", lambda: project.handle.issues.get(issue_iid))
    created = project.call(
        f"add a comment to issue #{issue_iid}",
        lambda: issue.notes.create({"body": body}),
    )
    return Note(created.id, created=True)
