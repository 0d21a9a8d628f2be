"""A verdict is bound to the registration at the run's own commit (issue 21, item 1).

Each attack is built the way an author would: edit the plan, `rflow deviate`, `rflow report`
and commit. A deviation may add or tighten a prediction, or mark one `withdrawn: true`;
it never moves the verdict of a run made before it, and never removes or loosens what a
reviewer approved.
"""

from __future__ import annotations

from fixtures.experiment import HYPOTHESIS, Experiment, failing, git, rflow_in, write_report

SECOND = """  - metric: loss
    baseline: 1.0
    baseline_source: the loss of the current model
    direction: decrease
    min_effect: 0.1
    tolerance: 0.001
"""


def _approved_and_run(experiment: Experiment, edit) -> None:
    """Rewind to the plan for review, edit it, have dave approve it, run it once."""
    found = git(experiment.repo, "log", "--format=%H", "--grep=plan for review", "-1")
    git(experiment.repo, "reset", "-q", "--hard", found.strip())
    plan = experiment.folder / "plan.qmd"
    plan.write_text(edit(plan.read_text(encoding="utf-8")), encoding="utf-8")
    experiment.commit("H-001: plan as reviewed")
    assert rflow_in(experiment.repo, "approve", HYPOTHESIS, RFLOW_USER="dave") == 0
    experiment.commit("H-001: approved by dave", author="dave")
    assert rflow_in(experiment.repo, "run", HYPOTHESIS) == 0
    experiment.commit("H-001: confirmatory run")


def _deviate_and_report(experiment: Experiment, edit, reason: str) -> str:
    """The deviation as `rflow deviate` records it, or, where rflow refuses it, written by
    hand the same way (its digest of the edited content) and committed with --no-verify."""
    plan = experiment.folder / "plan.qmd"
    plan.write_text(edit(plan.read_text(encoding="utf-8")), encoding="utf-8")
    if rflow_in(experiment.repo, "deviate", HYPOTHESIS, "--reason", reason) != 0:
        _hand_written_deviation(plan, reason)
    git(experiment.repo, "add", "-A")
    git(experiment.repo, "commit", "-q", "--no-verify", "-m", "H-001: deviation")
    sha = git(experiment.repo, "rev-parse", "HEAD").strip()
    report = experiment.folder / "report.qmd"
    update = ("--update",) if report.exists() else ()
    assert rflow_in(experiment.repo, "report", HYPOTHESIS, *update) == 0
    write_report(experiment.folder / "report.qmd")
    experiment.commit("H-001: report")
    return sha


def _hand_written_deviation(plan, reason: str) -> None:
    import datetime as dt

    from researchflow.documents.config import SectionsConfig
    from researchflow.documents.document import parse_document
    from researchflow.documents.frontmatter import set_fields
    from researchflow.documents.registration import digest

    text = plan.read_text(encoding="utf-8")
    document = parse_document(text.encode("utf-8"))
    record = {
        "at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "by": "alice",
        "reason": reason,
        "digest": digest(document, SectionsConfig()),
    }
    existing = document.front_matter.get("deviations") or []
    plan.write_text(set_fields(text, {"deviations": [*existing, record]}), encoding="utf-8")


def _verdicts(experiment: Experiment) -> dict[str, str]:
    from researchflow.documents.config import load_config
    from researchflow.views.judging import judge_all
    from researchflow.views.report_inputs import gather_inputs

    inputs = gather_inputs(load_config(experiment.repo), HYPOTHESIS)
    return {metric: j.verdict for metric, j in judge_all(inputs).items()}


def test_a_deviation_lowering_the_baseline_does_not_confirm_an_earlier_refuted_run(
    experiment: Experiment,
) -> None:
    # registered: the score must beat 3.0 by 0.5; the run scores 2.0, so it is refuted
    _approved_and_run(experiment, lambda t: t.replace("baseline: 1.0", "baseline: 3.0"))
    sha = _deviate_and_report(
        experiment, lambda t: t.replace("baseline: 3.0", "baseline: 1.0"), "a fairer baseline"
    )
    assert _verdicts(experiment) == {"score": "refuted"}
    report = (experiment.folder / "report.qmd").read_text(encoding="utf-8")
    assert "**refuted**" in report and "**confirmed**" not in report
    assert "| score | refuted | confirmed |" in report  # original and deviated, side by side
    result = experiment.check()
    assert result["code"] == 1
    assert (
        f"predictions[0]: commit {sha[:12]} loosens the registered prediction on score: "
        "baseline 3 → 1 (a registered prediction stays: a deviation may only add or tighten "
        "one, or mark it `withdrawn: true`)"
    ) in failing(result)["registration"]


def test_a_deviation_lowering_min_effect_or_widening_tolerance_fails_registration(
    experiment: Experiment,
) -> None:
    sha = _deviate_and_report(
        experiment,
        lambda t: t.replace("min_effect: 0.5", "min_effect: 0.1").replace(
            "tolerance: 0.001", "tolerance: 0.5"
        ),
        "be realistic",
    )
    problems = failing(experiment.check())["registration"]
    assert any(
        p.startswith(
            f"predictions[0]: commit {sha[:12]} loosens the registered prediction on score: "
            "min_effect 0.5 → 0.1, tolerance 0.001 → 0.5"
        )
        for p in problems
    ), problems


def test_a_deviation_deleting_a_prediction_fails_registration(experiment: Experiment) -> None:
    _approved_and_run(experiment, lambda t: t.replace("data: [", SECOND + "data: [", 1))
    sha = _deviate_and_report(experiment, lambda t: t.replace(SECOND, ""), "loss is noisy")
    problems = failing(experiment.check())["registration"]
    assert (
        f"predictions: commit {sha[:12]} removes the registered prediction on loss (a "
        "registered prediction stays: a deviation may only add or tighten one, or mark it "
        "`withdrawn: true`)"
    ) in problems


def test_a_prediction_marked_withdrawn_still_shows_with_its_verdict(experiment: Experiment) -> None:
    _approved_and_run(experiment, lambda t: t.replace("data: [", SECOND + "data: [", 1))
    withdrawn = SECOND.replace("tolerance: 0.001\n", "tolerance: 0.001\n    withdrawn: true\n")
    _deviate_and_report(experiment, lambda t: t.replace(SECOND, withdrawn), "loss is noisy")
    result = experiment.check()
    assert "registration" not in failing(result), failing(result)
    assert _verdicts(experiment) == {"score": "confirmed", "loss": "inconclusive"}
    report = (experiment.folder / "report.qmd").read_text(encoding="utf-8")
    assert "| loss (withdrawn) | inconclusive | inconclusive |" in report


def test_a_tightening_deviation_keeps_the_earlier_verdict_and_passes(
    experiment: Experiment,
) -> None:
    # min_effect 0.5 → 1.5: the run (effect 1.0) was judged by what was registered then
    _deviate_and_report(
        experiment, lambda t: t.replace("min_effect: 0.5", "min_effect: 1.5"), "stricter"
    )
    assert _verdicts(experiment) == {"score": "confirmed"}
    result = experiment.check()
    assert failing(result) == {}, failing(result)


def test_rflow_deviate_refuses_to_loosen_a_prediction(experiment: Experiment, rflow) -> None:
    plan = experiment.folder / "plan.qmd"
    plan.write_text(
        plan.read_text(encoding="utf-8").replace("min_effect: 0.5", "min_effect: 0.1"), "utf-8"
    )
    outcome = rflow("deviate", HYPOTHESIS, "--reason", "be realistic")
    assert outcome.code == 2
    assert (
        "plan.qmd: predictions[0]: this deviation loosens the registered prediction on score: "
        "min_effect 0.5 → 0.1 (a registered prediction stays"
    ) in outcome.stderr
