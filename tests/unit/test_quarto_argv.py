"""The `quarto render` argument list, built by a pure function."""

from __future__ import annotations

from pathlib import Path

from researchflow.adapters.quarto import render_argv


def test_render_argv_names_document_format_and_folders(tmp_path: Path) -> None:
    document = tmp_path / "research" / "H-007-x" / "report.qmd"
    argv = render_argv(document, to="pdf", execute_dir=tmp_path, output_dir=tmp_path / "out")
    assert argv == [
        "quarto",
        "render",
        str(document),
        "--to",
        "pdf",
        "--execute-dir",
        str(tmp_path.resolve()),
        "--output-dir",
        str((tmp_path / "out").resolve()),
    ]


def test_relative_folders_become_absolute(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    argv = render_argv(Path("plan.qmd"), to="html", execute_dir=Path("."), output_dir=Path("o"))
    assert argv[argv.index("--execute-dir") + 1] == str(tmp_path.resolve())
    assert argv[argv.index("--output-dir") + 1] == str((tmp_path / "o").resolve())


def test_hostile_names_stay_single_arguments() -> None:
    name = Path("research/H-007-x/$(rm -rf ~); echo.qmd")
    argv = render_argv(name, to="html; ls", execute_dir=Path("/r"), output_dir=Path("/o"))
    assert str(name) in argv
    assert "html; ls" in argv
    assert len(argv) == 9
