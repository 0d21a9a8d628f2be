"""The doctor's pure parts: the GitLab location it reports, secrets kept out of output."""

from __future__ import annotations

import pytest

from researchflow.adapters.gitlab import target_from_remote_url
from researchflow.commands.doctor import redact


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("git@gitlab.com:team/churn.git", ("https://gitlab.com", "team/churn")),
        (
            "git@gitlab.example.org:group/sub/project",
            ("https://gitlab.example.org", "group/sub/project"),
        ),
        ("https://gitlab.example.org/team/churn.git", ("https://gitlab.example.org", "team/churn")),
        (
            "https://oauth2:glpat-secret@gitlab.com/team/churn.git",
            ("https://gitlab.com", "team/churn"),
        ),
        ("http://localhost:8080/team/churn.git", ("http://localhost:8080", "team/churn")),
        ("ssh://git@gitlab.com:2222/team/churn.git", ("https://gitlab.com", "team/churn")),
        ("/srv/git/churn.git", None),
        ("file:///srv/git/churn.git", None),
        ("../churn", None),
        ("https://gitlab.com/onlyname.git", None),
    ],
)
def test_gitlab_location_from_remote_url(remote: str, expected) -> None:
    target = target_from_remote_url(remote)
    assert (None if target is None else (target.url, target.project)) == expected


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("https://bob:hunter2@mlflow.example.org/", "https://bob:***@mlflow.example.org/"),
        ("postgresql://ml:pw@db:5432/mlflow", "postgresql://ml:***@db:5432/mlflow"),
        ("https://glpat-token@gitlab.com/x/y.git", "https://***@gitlab.com/x/y.git"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_credentials_are_redacted(uri: str, shown: str) -> None:
    assert redact(uri) == shown
