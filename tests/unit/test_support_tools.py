"""The suite's own rule for missing tools: skip locally, fail under CI=true (Quarto aside)."""

from __future__ import annotations

import pytest
from support.tools import missing, require


def test_a_missing_tool_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        missing("chromium", "chromium is not installed")


def test_a_missing_tool_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required under CI=true"):
        require("pre-commit", "pre-commit is not on PATH", "no-such-tool-rflow-test")


def test_quarto_may_be_missing_even_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.skip.Exception, match="Quarto"):
        missing("quarto", "Quarto is not installed")


def test_an_installed_tool_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert require("git", "git is missing").endswith("git")
