"""Messages about remotes never show credentials embedded in a remote URL."""

from __future__ import annotations

import pytest

from researchflow.adapters.git import looks_unreachable, redact


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "fatal: unable to access 'https://oauth2:glpat-secret@gitlab.com/g/p.git/'",
            "fatal: unable to access 'https://***@gitlab.com/g/p.git/'",
        ),
        ("https://gitlab-ci-token:abc@host/g/p", "https://***@host/g/p"),
        ("git@gitlab.com:g/p.git", "git@gitlab.com:g/p.git"),  # a user name, no secret
        ("no url here", "no url here"),
        # the MLflow store URIs doctor shows go through the same redaction
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("https://bob:hunter2@mlflow.example.org/", "https://***@mlflow.example.org/"),
        ("postgresql://ml:pw@db:5432/mlflow", "postgresql://***@db:5432/mlflow"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_credentials_in_urls_are_redacted(text: str, shown: str) -> None:
    assert redact(text) == shown


@pytest.mark.parametrize(
    ("output", "unreachable"),
    [
        ("fatal: Could not read from remote repository.", True),
        ("fatal: unable to access 'https://h/p/': Could not resolve host: h", True),
        ("ssh: connect to host h port 22: Connection refused", True),
        ("! [remote rejected] x -> x (pre-receive hook declined)", False),
    ],
)
def test_unreachable_remotes_are_told_apart_from_rejections(output: str, unreachable: bool) -> None:
    assert looks_unreachable(output) is unreachable
