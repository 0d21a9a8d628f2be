"""All confirmatory experiments count (issue 23): a refuting experiment followed by a
lucky one is shown with it, the outcome follows both, and a report that shows only the
lucky one fails the gate."""

from __future__ import annotations

from fixtures.experiment import HYPOTHESIS, failing, rflow_in


def _experiment_with_factor(experiment, factor: str) -> None:
    """Change the code (not registered content) and make one more confirmatory run."""
    train = experiment.repo / "train.py"
    text = train.read_text(encoding="utf-8")
    train.write_text(
        "\n".join(
            f"FACTOR = {factor}" if line.startswith("FACTOR =") else line
            for line in text.split("\n")
        ),
        encoding="utf-8",
    )
    experiment.commit(f"train with factor {factor}")
    assert rflow_in(experiment.repo, "run", HYPOTHESIS) == 0
    experiment.commit("H-001: another confirmatory run")


def _block(experiment) -> str:
    return (experiment.folder / "report.qmd").read_text(encoding="utf-8")


def test_a_lucky_latest_experiment_does_not_hide_a_refuting_one(experiment) -> None:
    _experiment_with_factor(experiment, "0.5")  # score 1.0: no effect, refuted
    _experiment_with_factor(experiment, "1.0")  # score 2.0 again: confirmed, the latest
    assert rflow_in(experiment.repo, "report", HYPOTHESIS, "--update") == 0
    experiment.commit("H-001: report over three experiments")
    text = _block(experiment)
    assert "**All confirmatory experiments count:** 3 were made, 3 on the latest approval." in text
    [row] = [line for line in text.split("\n") if line.startswith("| score | 3 |")]
    assert row.startswith("| score | 3 | confirmed, refuted, confirmed | **refuted** |")
    # the primary (latest) experiment alone would have confirmed
    assert "| **confirmed** |" in text
    assert "**Confirmatory experiments made:** 3; the outcome follows all of them" in text
    assert experiment.check()["code"] == 0

    # the outcome follows every experiment: confirmed is refused by the gate and validate
    plan = experiment.folder / "plan.qmd"
    plan.write_text(
        plan.read_text(encoding="utf-8").replace("outcome: null", "outcome: confirmed"), "utf-8"
    )
    experiment.commit("H-001: claim the lucky one")
    problems = failing(experiment.check())
    assert any(
        p.startswith("outcome: outcome confirmed disagrees with the report's verdict refuted")
        for p in problems["report"]
    ), problems
    assert rflow_in(experiment.repo, "validate", f"{experiment.folder}/plan.qmd") != 0


def test_a_report_showing_only_the_lucky_experiment_fails_the_gate(experiment) -> None:
    _experiment_with_factor(experiment, "0.5")
    _experiment_with_factor(experiment, "1.0")
    assert rflow_in(experiment.repo, "report", HYPOTHESIS, "--update") == 0
    report = experiment.folder / "report.qmd"
    lines = report.read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("**All confirmatory"))
    end = next(i for i, line in enumerate(lines) if line.startswith("**Primary run:**"))
    report.write_text("\n".join([*lines[:start], *lines[end:]]), encoding="utf-8")
    experiment.commit("H-001: only the lucky one")
    problems = failing(experiment.check())
    assert any(
        p.startswith("results block: differs from the runs in the store: found '**Primary run:**")
        for p in problems["report"]
    ), problems
