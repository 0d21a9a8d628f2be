"""The doctor's pure parts: the GitLab location it reports."""

from __future__ import annotations

import pytest

from researchflow.adapters.gitlab import target_from_remote_url


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
