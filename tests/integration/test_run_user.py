"""Every run records its user; a confirmatory run is the executor's (issue 23).

`rflow run` refuses a confirmatory run by anyone but the plan's executor before anything
is created (exploratory runs are anyone's), and the gate fails a confirmatory run whose
recorded user was changed afterwards: in runs.yaml with `git commit --no-verify`, or in
the store with MLflow's own client.
"""

from __future__ import annotations

import os

from fixtures.experiment import FOLDER, HYPOTHESIS, failing, git
from support.cli import run_in_process

PLAN = f"{FOLDER}/plan.qmd"
REFUSED = (
    f"rflow: {PLAN}: roles.executor: a run of the registered command on the approved plan is "
    "confirmatory, and {who} is not the executor carol (run it as carol: RFLOW_USER=carol, "
    "git's user.name or an e-mail `people:` maps to them; or write why in roles.reason; "
    "nothing was run)"
)


def _client(experiment):
    from mlflow.tracking import MlflowClient

    from researchflow.documents.config import load_config, tracking_uri

    return MlflowClient(tracking_uri(load_config(experiment.repo)))


def _stored_runs(experiment) -> set[str]:
    client = _client(experiment)
    ids = [e.experiment_id for e in client.search_experiments()]
    found = client.search_runs(ids, f"tags.`rflow.hypothesis` = '{HYPOTHESIS}'")
    return {run.info.run_id for run in found}


def _sneak(repo, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message, env=dict(os.environ))


def test_a_run_records_who_made_it_by_the_plans_name_in_runs_yaml_and_the_store(
    experiment,
) -> None:
    [run] = experiment.runs()
    assert run.user == "carol"
    assert _client(experiment).get_run(run.run_id).data.tags["mlflow.user"] == "carol"
    assert experiment.check()["code"] == 0


def test_a_confirmatory_run_by_the_author_is_refused_and_nothing_is_created(experiment) -> None:
    runs_yaml = (experiment.folder / "runs.yaml").read_bytes()
    before = _stored_runs(experiment)
    for env, who in (({"RFLOW_USER": "alice"}, "alice"), ({"RFLOW_USER": ""}, "Alice Author")):
        outcome = run_in_process(["run", HYPOTHESIS], cwd=experiment.repo, env=env)
        assert outcome.code == 2
        assert outcome.stderr.splitlines() == [REFUSED.format(who=who)]
    assert (experiment.folder / "runs.yaml").read_bytes() == runs_yaml
    assert _stored_runs(experiment) == before


def test_an_exploratory_run_is_anyones_and_records_its_user(experiment) -> None:
    outcome = run_in_process(
        ["run", HYPOTHESIS, "--", "python", "-c", "pass"],
        cwd=experiment.repo,
        env={"RFLOW_USER": "alice"},
    )
    assert outcome.code == 0, outcome.stderr
    assert experiment.runs()[-1].user == "alice"


def test_a_written_roles_reason_lets_someone_else_run_it(experiment) -> None:
    plan = experiment.folder / "plan.qmd"
    text = plan.read_text(encoding="utf-8")
    plan.write_text(
        text.replace("reviewers: [dave]}", "reviewers: [dave], reason: carol is on leave}"),
        encoding="utf-8",
    )
    assert "carol is on leave" in plan.read_text(encoding="utf-8")
    experiment.commit("H-001: carol is on leave")
    outcome = run_in_process(["run", HYPOTHESIS], cwd=experiment.repo, env={"RFLOW_USER": "bob"})
    assert outcome.code == 0, outcome.stderr
    assert experiment.runs()[-1].user == "bob"


def test_the_gate_fails_a_runs_yaml_user_rewritten_with_no_verify(experiment) -> None:
    path = experiment.folder / "runs.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("user: carol", "user: alice"))
    _sneak(experiment.repo, "H-001: who ran it")
    result = experiment.check()
    assert result["code"] == 1
    problems = failing(result)
    run_id = experiment.runs()[0].run_id
    assert (
        "runs[0].user: runs.yaml says the run was made by alice, the store says carol (do not "
        "edit runs.yaml or the store's mlflow.user by hand; restore it from git, and the "
        "executor runs the experiment again if it was someone else)"
    ) in problems["provenance"]
    assert any(f"changes run {run_id}'s user (carol → alice)" in p for p in problems["provenance"])
    assert (
        f"roles.executor: confirmatory run {run_id} was made by alice, not by the executor carol"
        in "\n".join(problems["report"])
    )


def test_the_gate_fails_a_store_user_rewritten_with_mlflows_client(experiment) -> None:
    run_id = experiment.runs()[0].run_id
    _client(experiment).set_tag(run_id, "mlflow.user", "alice")
    result = experiment.check()
    assert result["code"] == 1
    assert any(
        p.startswith("runs[0].user: runs.yaml says the run was made by carol, the store says alice")
        for p in failing(result)["provenance"]
    )
