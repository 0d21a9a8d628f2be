"""GitLab push options and locating GitLab from a remote URL (pure)."""

from __future__ import annotations

import pytest

from researchflow.adapters.gitlab import (
    GitlabTarget,
    RetryPolicy,
    encode_option_value,
    merge_request_push_options,
    resolve_target,
    target_from_remote_url,
    token_from_env,
)
from researchflow.base.errors import UserError


def test_push_options_create_a_draft_merge_request_into_the_base() -> None:
    options = merge_request_push_options(
        target="main", title="Draft: H-007 Graded target", description="line one\nline two"
    )
    assert options == [
        "merge_request.create",
        "merge_request.target=main",
        "merge_request.title=Draft: H-007 Graded target",
        "merge_request.description=line one\\nline two",
        "merge_request.draft",
    ]


@pytest.mark.parametrize(
    ("text", "encoded"),
    [
        ("a\nb", "a\\nb"),
        ("a\r\nb\rc", "a\\nb\\nc"),
        ("no newline", "no newline"),
        ("$(touch x); 'q'", "$(touch x); 'q'"),
    ],
)
def test_option_values_are_single_lines(text: str, encoded: str) -> None:
    assert encode_option_value(text) == encoded
    assert "\n" not in encode_option_value(text)


@pytest.mark.parametrize(
    ("remote", "url", "project"),
    [
        ("https://gitlab.com/research/churn.git", "https://gitlab.com", "research/churn"),
        ("https://gitlab.com/group/sub/project", "https://gitlab.com", "group/sub/project"),
        (
            "https://oauth2:glpat-secret@gitlab.example.com:8443/g/p.git",
            "https://gitlab.example.com:8443",
            "g/p",
        ),
        ("http://127.0.0.1:8080/g/p.git", "http://127.0.0.1:8080", "g/p"),
        ("ssh://git@gitlab.example.com:2222/g/sub/p.git", "https://gitlab.example.com", "g/sub/p"),
        ("git@gitlab.example.com:group/sub/p.git", "https://gitlab.example.com", "group/sub/p"),
        ("gitlab.example.com:g/p.git", "https://gitlab.example.com", "g/p"),
    ],
)  # fmt: skip
def test_gitlab_is_derived_from_the_remote_url(remote: str, url: str, project: str) -> None:
    assert target_from_remote_url(remote) == GitlabTarget(url, project)


@pytest.mark.parametrize(
    "remote",
    [None, "", "/srv/git/origin.git", "../origin.git", "file:///srv/git/o.git", "https://h/p"],
)
def test_local_or_unusable_remotes_give_no_gitlab(remote: str | None) -> None:
    assert target_from_remote_url(remote) is None


def test_credentials_in_the_remote_url_never_reach_the_target() -> None:
    target = target_from_remote_url("https://user:glpat-secret@gitlab.com/g/p.git")
    assert target is not None and "secret" not in repr(target)


def test_in_ci_gitlab_s_own_variables_win_then_the_config_then_the_remote() -> None:
    env = {"CI_SERVER_URL": "https://ci.example.com", "CI_PROJECT_PATH": "ci/proj"}
    remote = "git@gitlab.com:from/remote.git"
    # a merge request may edit the config: in CI, GitLab's word on where it is comes first
    assert resolve_target("https://cfg.example.com/", "cfg/proj", remote, env) == GitlabTarget(
        "https://ci.example.com", "ci/proj"
    )
    assert resolve_target("https://cfg.example.com/", "cfg/proj", remote, {}) == GitlabTarget(
        "https://cfg.example.com", "cfg/proj"
    )
    assert resolve_target(None, None, remote, env) == GitlabTarget(
        "https://ci.example.com", "ci/proj"
    )
    assert resolve_target(None, "other/proj", remote, {}) == GitlabTarget(
        "https://gitlab.com", "other/proj"
    )
    assert resolve_target(None, None, "/local/path.git", {}) is None


def test_token_comes_from_the_environment_only() -> None:
    assert token_from_env({"GITLAB_TOKEN": " glpat-x "}) == "glpat-x"
    assert token_from_env({"GITLAB_TOKEN": ""}) is None
    assert token_from_env({}) is None


def test_retry_policy_is_bounded_and_configurable() -> None:
    policy = RetryPolicy.from_env({"RFLOW_HTTP_RETRIES": "4", "RFLOW_HTTP_BACKOFF": "0.5"})
    assert policy.delays() == [0.5, 1.0, 2.0]
    assert RetryPolicy.from_env({"RFLOW_HTTP_RETRIES": "0"}).delays() == []


def test_retry_settings_that_are_not_numbers_are_a_usage_error() -> None:
    with pytest.raises(UserError, match="RFLOW_HTTP_RETRIES"):
        RetryPolicy.from_env({"RFLOW_HTTP_RETRIES": "many"})


def test_a_token_is_never_sent_over_plain_http_except_to_loopback() -> None:
    import pytest

    from researchflow.adapters.gitlab import refuse_plain_http
    from researchflow.base.errors import UserError

    with pytest.raises(UserError, match="plain http: the token would be sent unencrypted"):
        refuse_plain_http(GitlabTarget("http://gitlab.example.com", "g/p"))
    for url in ("https://gitlab.example.com", "http://127.0.0.1:8080", "http://localhost"):
        refuse_plain_http(GitlabTarget(url, "g/p"))  # no error
