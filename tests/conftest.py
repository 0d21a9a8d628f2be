"""Shared test set-up: a pinned, isolated git environment and real repositories.

Fixture modules under tests/fixtures/ are loaded as plugins, one per real component.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.git import git

FIXTURE_MODULES = sorted(
    f"fixtures.{path.stem}"
    for path in (Path(__file__).parent / "fixtures").glob("*.py")
    if path.stem != "__init__"
)
pytest_plugins = FIXTURE_MODULES

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Alice Author",
    "GIT_AUTHOR_EMAIL": "alice@example.com",
    "GIT_COMMITTER_NAME": "Alice Author",
    "GIT_COMMITTER_EMAIL": "alice@example.com",
}


@pytest.fixture(scope="session", autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """No test reads or writes the real home, git config or MLflow settings."""
    home = tmp_path_factory.mktemp("home")
    global_config = home / ".gitconfig"
    global_config.write_text(
        "[user]\n\tname = Alice Author\n\temail = alice@example.com\n"
        "[init]\n\tdefaultBranch = main\n"
        '[protocol "file"]\n\tallow = always\n'
        "[advice]\n\tdetachedHead = false\n",
        encoding="utf-8",
    )
    saved = dict(os.environ)
    os.environ.update(GIT_IDENTITY)
    os.environ.update(
        {
            "HOME": str(home),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": str(global_config),
            "GIT_TERMINAL_PROMPT": "0",
            "PRE_COMMIT_HOME": str(tmp_path_factory.getbasetemp() / "pre-commit-cache"),
            "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true",
            "DVC_NO_ANALYTICS": "1",
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_CONFIG_HOME": str(home / ".config"),
            # the embedded store in-process, as before: the server's own tests turn it on
            "RFLOW_NO_SERVER": "1",
        }
    )
    for name in ("MLFLOW_TRACKING_URI", "RFLOW_USER", "GITLAB_TOKEN", "CI_JOB_TOKEN"):
        os.environ.pop(name, None)
    yield home
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty-but-committed git repository as the working folder."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "README.md").write_text("# research\n", encoding="utf-8")
    git(root, "add", "README.md")
    git(root, "commit", "-q", "-m", "initial commit")
    monkeypatch.chdir(root)
    return root


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/integration/ drives real tools and servers: `slow`.
    `make test-fast` (`-m "not slow"`) is the inner loop; `make test` runs everything."""
    integration = Path(__file__).parent / "integration"
    for item in items:
        if integration in Path(item.fspath).parents:
            item.add_marker(pytest.mark.slow)
