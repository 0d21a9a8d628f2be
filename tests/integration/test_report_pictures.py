"""The report's pictures: drawn from the store's runs, byte-identical when redrawn, and
checked like the results block."""

from __future__ import annotations

from fixtures.experiment import HYPOTHESIS, failing, rflow_in


def test_report_writes_one_svg_per_prediction_and_embeds_it(experiment) -> None:
    picture = experiment.folder / "report-score.svg"
    assert picture.is_file()
    svg = picture.read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and "<svg" in svg
    assert "score: confirmed" in svg  # the title names the verdict
    report = (experiment.folder / "report.qmd").read_text(encoding="utf-8")
    assert "](report-score.svg)" in report


def test_the_svg_is_byte_identical_across_two_reports(experiment) -> None:
    picture = experiment.folder / "report-score.svg"
    first = picture.read_bytes()
    picture.unlink()
    assert rflow_in(experiment.repo, "report", HYPOTHESIS, "--update") == 0
    assert picture.read_bytes() == first
    assert rflow_in(experiment.repo, "report", HYPOTHESIS, "--update") == 0
    assert picture.read_bytes() == first


def test_an_edited_picture_fails_the_report_check(experiment) -> None:
    picture = experiment.folder / "report-score.svg"
    picture.write_text(picture.read_text(encoding="utf-8").replace("confirmed", "CONFIRMED"))
    experiment.commit("a prettier title")
    result = experiment.check()
    assert result["code"] == 1
    [problem] = failing(result)["report"]
    assert problem.startswith("picture: differs from what the store's runs draw")
    assert "rflow report H-001 --update" in problem


def test_a_missing_picture_fails_the_report_check(experiment) -> None:
    (experiment.folder / "report-score.svg").unlink()
    experiment.commit("no picture")
    [problem] = failing(experiment.check())["report"]
    assert problem.startswith("picture: is missing")


def test_a_picture_edited_after_a_passing_check_still_fails_it(experiment) -> None:
    """The check remembers what it drew (.rflow/cache), never that a file was fine."""
    assert experiment.check()["code"] == 0
    picture = experiment.folder / "report-score.svg"
    picture.write_text(picture.read_text(encoding="utf-8").replace("#1a7f37", "#000000"))
    experiment.commit("a darker mean")

    [problem] = failing(experiment.check())["report"]

    assert problem.startswith("picture: differs from what the store's runs draw")
