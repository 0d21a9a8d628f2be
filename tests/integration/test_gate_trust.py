"""The gate against a determined author (issue 9, SPEC "Trust model").

Every attack is made the way an author with push rights and store access would make it:
with git (also `--no-verify`), a text editor, `rflow` itself and MLflow's own client. Each
test asserts the level that fails by name and the line the user reads (`field: message
(fix)`); a clean experiment with an honest early exploratory run and a deviation made in
the open passes every level.
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
import subprocess
from pathlib import Path

import pytest
from fixtures.experiment import BRANCH, FOLDER, HYPOTHESIS, failing, git, rflow_in
from fixtures.gate_plans import plan_text

from researchflow.base.frozen import replace


def store(experiment):
    from mlflow.tracking import MlflowClient

    from researchflow.documents.config import load_config, tracking_uri

    return MlflowClient(tracking_uri(load_config(experiment.repo)))


def sneak(repo: Path, message: str, author: str | None = None) -> str:
    """`git commit --no-verify` of everything, as `author` (default: the test's Alice)."""
    env = dict(os.environ)
    if author is not None:
        env.update(
            GIT_AUTHOR_NAME=author,
            GIT_AUTHOR_EMAIL=f"{author}@example.com",
            GIT_COMMITTER_NAME=author,
            GIT_COMMITTER_EMAIL=f"{author}@example.com",
        )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message, env=env)
    return git(repo, "rev-parse", "HEAD").strip()


def plan_path(experiment) -> Path:
    return experiment.repo / FOLDER / "plan.qmd"


def set_plan(experiment, **fields) -> str:
    """Write front-matter fields of the plan as an editor would; returns the new text."""
    from researchflow.documents.frontmatter import set_fields

    path = plan_path(experiment)
    text = set_fields(path.read_text(encoding="utf-8"), fields)
    path.write_text(text, encoding="utf-8")
    return text


def current_digest(experiment) -> str:
    from researchflow.documents.config import SectionsConfig
    from researchflow.documents.document import parse_document
    from researchflow.documents.registration import digest

    return digest(parse_document(plan_path(experiment).read_bytes()), SectionsConfig())


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def back_to_review(experiment) -> None:
    """Rewind the branch to the plan sent for review (before approval, run and report)."""
    found = git(experiment.repo, "log", "--format=%H", "--grep=plan for review", "-1")
    git(experiment.repo, "reset", "-q", "--hard", found.strip())


def front(experiment) -> dict:
    from researchflow.documents.document import parse_document

    return parse_document(plan_path(experiment).read_bytes()).front_matter


def approval_edit(experiment, **changes) -> None:
    approval = {**front(experiment)["approval"], **changes}
    set_plan(experiment, approval=approval)


# --- a clean experiment -----------------------------------------------------------------


def test_an_open_experiment_with_an_early_run_and_a_deviation_passes_every_level(
    open_experiment,
) -> None:
    from researchflow.documents.config import load_config
    from researchflow.views.report_inputs import gather_inputs

    result = open_experiment.check("--rerun")
    assert failing(result) == {}, failing(result)
    assert result["code"] == 0
    statuses = {c["check"]: c["status"] for c in result["checks"]}
    for level in ("plan", "registration", "provenance", "report", "rerun"):
        assert statuses[level] == "pass", (level, statuses)
    inputs = gather_inputs(load_config(open_experiment.repo), HYPOTHESIS)
    kinds = [(c.kind, c.reason) for c in inputs.classified]
    assert kinds[0][0] == "exploratory" and "does not contain the approval" in kinds[0][1]
    assert kinds[1] == ("confirmatory", "")


# --- registration: who approved, and what history says ----------------------------------


def test_the_author_approving_as_the_reviewer_fails_registration(experiment) -> None:
    back_to_review(experiment)
    assert rflow_in(experiment.repo, "approve", HYPOTHESIS, RFLOW_USER="dave") == 0
    sha = experiment.commit("approve it myself")  # committed as Alice Author
    result = experiment.check()
    assert result["code"] == 1
    assert (
        f"approval.by: approval (commit {sha[:12]}) says by: dave, but the commit was authored "
        "by Alice Author <alice@example.com> (dave records it and commits it as themselves "
        "(or map names to e-mails in `people:`))"
    ) in failing(result)["registration"]


def test_people_maps_a_reviewer_name_to_the_emails_they_commit_with(experiment) -> None:
    # dave commits as dave@example.com; a mapping that names another address refuses him
    config = experiment.repo / "researchflow.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "people:\n  dave: [dave@corp.example]\n",
        encoding="utf-8",
    )
    result = experiment.check()
    [line] = [p for p in failing(result)["registration"] if p.startswith("approval.by")]
    assert "authored by dave <dave@example.com>" in line
    config.write_text(
        config.read_text(encoding="utf-8").replace("dave@corp.example", "dave@example.com"),
        encoding="utf-8",
    )
    assert "registration" not in failing(experiment.check())


def test_a_hand_written_approval_by_someone_not_a_reviewer_fails_registration(
    experiment,
) -> None:
    back_to_review(experiment)
    set_plan(experiment, status="approved")
    set_plan(
        experiment, approval={"by": "mallory", "at": now(), "digest": current_digest(experiment)}
    )
    sha = sneak(experiment.repo, "approved", author="mallory")
    problems = failing(experiment.check())["registration"]
    assert (
        f"approval.by: approval (commit {sha[:12]}) was given by mallory, who is not in "
        "roles.reviewers (one of roles.reviewers runs `rflow approve`)"
    ) in problems


def test_a_hand_written_deviation_in_someone_else_s_name_fails_registration(experiment) -> None:
    path = plan_path(experiment)
    path.write_text(
        path.read_text(encoding="utf-8").replace("on the hold-out.", "on the training set."),
        encoding="utf-8",
    )
    deviation = {"at": now(), "by": "bob", "reason": "bob agreed", "digest": ""}
    deviation["digest"] = current_digest(experiment)
    set_plan(experiment, deviations=[deviation])
    sha = sneak(experiment.repo, "a deviation bob agreed to")
    problems = failing(experiment.check())["registration"]
    assert (
        f"deviations[0].by: deviations[0] (commit {sha[:12]}) says by: bob, but the commit "
        "was authored by Alice Author <alice@example.com> (bob records it and commits it as "
        "themselves (or map names to e-mails in `people:`))"
    ) in problems


def test_predictions_changed_and_the_digest_recomputed_without_the_hook_fails_registration(
    experiment,
) -> None:
    path = plan_path(experiment)
    path.write_text(
        path.read_text(encoding="utf-8").replace("baseline: 1.0", "baseline: 0.5"), "utf-8"
    )
    approval_edit(experiment, digest=current_digest(experiment))  # the file now agrees
    sha = sneak(experiment.repo, "an easier baseline")
    result = experiment.check()
    problems = failing(result)["registration"]
    assert (
        f"approval: the approval was edited in commit {sha[:12]} (restore it as it was "
        "approved; only `rflow approve` writes it, once)"
    ) in problems
    assert (
        f"deviations: registered content changed in commit {sha[:12]} without a recorded "
        "deviation (revert the change, or record it with `rflow deviate` in the same commit)"
    ) in problems
    assert result["code"] == 1


def test_a_deviation_deleted_and_its_digest_copied_into_the_approval_fails_registration(
    open_experiment,
) -> None:
    [deviation] = front(open_experiment)["deviations"]
    approval_edit(open_experiment, digest=deviation["digest"])
    set_plan(open_experiment, deviations=[])
    sha = sneak(open_experiment.repo, "tidy up the plan")
    problems = failing(open_experiment.check())["registration"]
    assert any(
        p.startswith(f"approval: the approval was edited in commit {sha[:12]}") for p in problems
    )
    assert (
        f"deviations: recorded deviations were edited or removed in commit {sha[:12]} "
        "(restore them as they were; deviations are only appended (`rflow deviate`))"
    ) in problems


def test_an_approval_time_moved_earlier_than_the_plan_fails_registration(experiment) -> None:
    approval = front(experiment)["approval"]
    back_to_review(experiment)
    set_plan(experiment, status="approved")
    set_plan(experiment, approval={**approval, "at": "2020-01-01T00:00:00Z"})
    sha = sneak(experiment.repo, "approved long ago", author="dave")
    problems = failing(experiment.check())["registration"]
    assert any(
        p.startswith(
            f"approval.at: approval (commit {sha[:12]}) says at 2020-01-01T00:00:00Z, before "
            "the plan it is part of existed"
        )
        for p in problems
    ), problems


def test_a_shallow_clone_is_named_as_shallow(experiment, tmp_path: Path) -> None:
    from researchflow.documents.config import load_config, tracking_uri

    uri = tracking_uri(load_config(experiment.repo))
    clone = tmp_path / "shallow"
    origin = experiment.repo.parent / "origin.git"
    git(experiment.repo, "push", "-q", "origin", BRANCH)
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", BRANCH, f"file://{origin}", str(clone))
    (clone / ".rflow").mkdir()
    os.chdir(clone)
    result = experiment.__class__(clone, experiment.remote).check(MLFLOW_TRACKING_URI=uri)
    problems = failing(result)["registration"]
    assert any(
        "the clone is shallow, so the plan's history cannot be replayed (set GIT_DEPTH: 0 "
        "in the CI job, or run `git fetch --unshallow`)" in p
        for p in problems
    ), problems
    assert not any("rebased, amended" in p for p in failing(result).get("provenance", []))


def test_history_without_a_target_branch_fails_closed_saying_why(experiment) -> None:
    git(experiment.repo, "branch", "-q", "-D", "main")
    git(experiment.repo, "update-ref", "-d", "refs/remotes/origin/main")
    problems = failing(experiment.check())["registration"]
    assert any(
        p.startswith("approval: the plan's history cannot be replayed: cannot find")
        for p in problems
    ), problems


# --- runs: the store and git decide ------------------------------------------------------


def test_started_moved_in_runs_yaml_fails_provenance_and_the_run_stays_exploratory(
    open_experiment,
) -> None:
    from researchflow.documents.config import load_config
    from researchflow.documents.runlog import read_runs, render_runs
    from researchflow.views.report_inputs import gather_inputs

    runs_file = open_experiment.folder / "runs.yaml"
    early, later = read_runs(runs_file).runs
    moved = replace(early, started=later.started, ended=later.ended)
    runs_file.write_text(render_runs(HYPOTHESIS, [moved, later]), encoding="utf-8")
    sneak(open_experiment.repo, "the early run was after the approval, really")
    problems = failing(open_experiment.check())
    inputs = gather_inputs(load_config(open_experiment.repo), HYPOTHESIS)
    early_now = next(c for c in inputs.classified if c.run_id == early.run_id)
    assert early_now.kind == "exploratory"  # git and the store decide, not runs.yaml
    assert (
        f"runs[0].started: runs.yaml says started {later.started}, the store says "
        f"{early.started} (do not edit runs.yaml by hand; restore it from git)"
    ) in problems["provenance"]


def test_a_run_deleted_from_runs_yaml_and_the_store_still_counts(open_experiment) -> None:
    from researchflow.documents.runlog import read_runs, render_runs

    runs_file = open_experiment.folder / "runs.yaml"
    early, later = read_runs(runs_file).runs
    runs_file.write_text(render_runs(HYPOTHESIS, [later]), encoding="utf-8")
    store(open_experiment).delete_run(early.run_id)
    assert rflow_in(open_experiment.repo, "report", HYPOTHESIS, "--update") == 0
    sneak(open_experiment.repo, "one run was enough")
    result = open_experiment.check()
    assert set(failing(result)) == {"provenance"}
    assert (
        f"runs: run {early.run_id} is in the store with tag rflow.hypothesis=H-001 but missing "
        f"from runs.yaml (deleted in the store) (every run tried counts: restore its entry from "
        f"git, or `rflow link {early.run_id}`)"
    ) in failing(result)["provenance"]


def test_a_run_still_running_is_reported_as_unfinished(experiment) -> None:
    [run] = experiment.runs()
    client = store(experiment)
    other = client.create_run(run.experiment_id, tags={"rflow.hypothesis": HYPOTHESIS})
    problems = failing(experiment.check())["provenance"]
    assert any(
        p.startswith(f"runs: run {other.info.run_id} is unfinished (RUNNING in the store)")
        for p in problems
    ), problems


def test_a_metric_overwritten_after_the_run_ended_backs_no_verdict(experiment) -> None:
    [run] = experiment.runs()
    store(experiment).log_metric(run.run_id, "score", 9.0)  # now: after the run ended
    assert rflow_in(experiment.repo, "report", HYPOTHESIS, "--update") == 0
    experiment.commit("a better score")
    result = experiment.check()
    problems = failing(result)["provenance"]
    assert any(
        p.startswith(f"runs[0].metrics: run {run.run_id}: score was logged after the run ended")
        and "an edit, not a result, so it backs no verdict" in p
        for p in problems
    ), problems
    from researchflow.documents.config import load_config
    from researchflow.views.report_inputs import gather_inputs

    inputs = gather_inputs(load_config(experiment.repo), HYPOTHESIS)
    assert inputs.primary_run is None
    assert inputs.classified[0].reason == "score logged after the run ended"


@pytest.mark.parametrize(
    "command",
    [["python", "-c", "print(9)"], []],
    ids=["a one-liner", "no command"],
)
def test_the_rerun_executes_the_registered_command_not_runs_yaml_s(experiment, command) -> None:
    from researchflow.documents.runlog import read_runs, render_runs

    runs_file = experiment.folder / "runs.yaml"
    [run] = read_runs(runs_file).runs
    forged = replace(run, command=tuple(command))
    runs_file.write_text(render_runs(HYPOTHESIS, [forged]), encoding="utf-8")
    sneak(experiment.repo, "simpler command")
    result = experiment.check("--rerun")
    assert set(failing(result)) == {"provenance"}
    shown = shlex.join(command)
    assert any(
        p.startswith(f"runs[0].command: runs.yaml says `{shown}`")
        and "the store says `python train.py`" in p
        for p in failing(result)["provenance"]
    )
    rerun = next(c for c in result["checks"] if c["check"] == "rerun")
    assert rerun["status"] == "pass" and "reproduced on HEAD (score=2)" in rerun["detail"]


def test_a_registered_command_that_cannot_be_rerun_fails_the_rerun(experiment) -> None:
    path = experiment.repo / "train.py"
    path.write_text("raise SystemExit(3)\n", encoding="utf-8")
    experiment.commit("break the script")
    problems = failing(experiment.check("--rerun"))
    assert problems["rerun"] == [
        "rerun: rerunning the registered command `python train.py` on HEAD exited 3 (run the "
        "command on a clean checkout to see why, fix it, and commit)"
    ]


def test_a_run_of_another_command_is_exploratory(experiment) -> None:
    import sys

    assert rflow_in(experiment.repo, "run", HYPOTHESIS, "--", sys.executable, "train.py") == 0
    experiment.commit("a run by hand")
    from researchflow.documents.config import load_config
    from researchflow.views.report_inputs import gather_inputs

    inputs = gather_inputs(load_config(experiment.repo), HYPOTHESIS)
    second = inputs.classified[1]
    assert second.kind == "exploratory"
    assert second.reason.endswith("not the registered command `python train.py`")
    assert inputs.primary_run == inputs.classified[0].run_id


def test_a_hand_made_run_adopted_with_link_backs_no_verdict(experiment) -> None:
    [run] = experiment.runs()
    client = store(experiment)
    head = git(experiment.repo, "rev-parse", "HEAD").strip()
    made = client.create_run(run.experiment_id, tags={"mlflow.source.git.commit": head})
    client.log_metric(made.info.run_id, "score", 9.0)
    client.set_terminated(made.info.run_id)
    assert rflow_in(experiment.repo, "link", HYPOTHESIS, made.info.run_id) == 0
    experiment.commit("adopt a run")
    assert rflow_in(experiment.repo, "report", HYPOTHESIS, "--update") == 0
    experiment.commit("report it")
    assert failing(experiment.check()) == {}
    from researchflow.documents.config import load_config
    from researchflow.views.report_inputs import gather_inputs

    inputs = gather_inputs(load_config(experiment.repo), HYPOTHESIS)
    assert inputs.primary_run == run.run_id  # the real run, not the invented 9.0
    adopted = next(c for c in inputs.classified if c.run_id == made.info.run_id)
    assert adopted.kind == "exploratory" and "not the registered command" in adopted.reason


# --- the merge request may not move the gate ---------------------------------------------

MR_ENV = {
    "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
    "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": BRANCH,
}


def _check_changed(experiment) -> dict:
    """`rflow check --changed --json` in a merge-request pipeline's environment."""
    import json

    from support.cli import run_in_process

    outcome = run_in_process(["check", "--changed", "--json"], cwd=experiment.repo, env=MR_ENV)
    data = json.loads(outcome.stdout)
    data["code"] = outcome.code
    return data


def test_a_merge_request_changing_the_research_folder_fails_the_gate(experiment) -> None:
    config = experiment.repo / "researchflow.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("research_dir: research", "research_dir: elsewhere"), "utf-8")
    if "research_dir: elsewhere" not in config.read_text(encoding="utf-8"):
        config.write_text(text + "research_dir: elsewhere\n", encoding="utf-8")
    sneak(experiment.repo, "move the research folder")
    result = _check_changed(experiment)
    assert result["code"] == 1
    assert failing(result)["gate"] == [
        "research_dir: the merge request changes the gate's configuration (researchflow.yaml) "
        "(a maintainer must merge changes to the gate's configuration or to hypothesis folders "
        "on their own, in a merge request without research results)"
    ]
    assert HYPOTHESIS in result["hypotheses"]  # still selected from the target's folder


def test_a_merge_request_renaming_the_folder_without_its_id_fails_the_gate(experiment) -> None:
    git(experiment.repo, "mv", FOLDER, "research/graded")
    sneak(experiment.repo, "a nicer folder name")
    result = _check_changed(experiment)
    assert result["code"] == 1
    assert failing(result)["gate"] == [
        "folder: the merge request changes files in a research folder whose name has no "
        "hypothesis ID, so no check would cover them (keep research in <ID>-<slug> folders "
        "(e.g. H-007-graded-target); a maintainer must merge changes to the gate's "
        "configuration or to hypothesis folders on their own, in a merge request without "
        "research results)"
    ]


def test_a_merge_request_moving_a_merged_hypothesis_folder_fails_the_gate(experiment) -> None:
    def merged(repo: Path) -> None:
        folder = repo / "research" / "H-002-merged"
        folder.mkdir(parents=True)
        (folder / "plan.qmd").write_text(plan_text("H-002", status="concluded"), encoding="utf-8")

    on_main(experiment, merged)
    git(experiment.repo, "mv", "research/H-002-merged", "research/H-002-renamed")
    sneak(experiment.repo, "rename a merged hypothesis")
    result = _check_changed(experiment)
    assert result["code"] == 1
    assert (
        "folder: the merge request moves, renames or deletes this hypothesis folder (a "
        "maintainer must merge changes to the gate's configuration or to hypothesis folders on "
        "their own, in a merge request without research results)"
    ) in failing(result)["gate"]


def test_check_changed_passes_a_clean_merge_request(experiment) -> None:
    result = _check_changed(experiment)
    assert failing(result) == {} and result["code"] == 0
    assert result["hypotheses"] == [HYPOTHESIS]


# --- reports are written -----------------------------------------------------------------


def test_a_reported_hypothesis_with_template_text_in_its_report_fails(experiment) -> None:
    report = experiment.folder / "report.qmd"
    text = report.read_text(encoding="utf-8")
    # the report as `rflow report` wrote it: the template's text left in the Summary
    report.write_text(
        text.replace("The author wrote this part.", "TODO: three sentences for a reader.", 1),
        encoding="utf-8",
    )
    experiment.commit("reported")
    problems = failing(experiment.check())
    assert set(problems) == {"report"}
    assert any(
        p.startswith("## Summary: still holds template placeholder text (TODO) (status reported)")
        for p in problems["report"]
    ), problems
    shown = f"{FOLDER}/report.qmd"
    done = subprocess.run(
        ["rflow", "validate", shown], cwd=experiment.repo, capture_output=True, text=True
    )
    assert done.returncode == 1
    lines = (experiment.folder / "report.qmd").read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, start=1) if text.startswith("TODO:"))
    assert f"{shown}:{line}: ## Summary: still holds template placeholder text (TODO)" in (
        done.stdout
    )


# --- identity modes ----------------------------------------------------------------------


def on_main(experiment, edit) -> None:
    """A maintainer changes main (edit(repo)), and the branch merges it in."""
    repo = experiment.repo
    git(repo, "checkout", "-q", "main")
    edit(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", "maintainer: gate settings")
    git(repo, "push", "-q", "origin", "main")
    git(repo, "checkout", "-q", BRANCH)
    git(repo, "merge", "-q", "--no-edit", "--no-verify", "main")


def add_config(lines: str):
    def edit(repo: Path) -> None:
        path = repo / "researchflow.yaml"
        path.write_text(path.read_text(encoding="utf-8") + lines, encoding="utf-8")

    return edit


def test_gitlab_mode_passes_for_the_reviewer_who_approved_the_mr(experiment, gitlab_api) -> None:
    on_main(experiment, add_config("identity:\n  mode: gitlab\n"))
    mr = gitlab_api.add_merge_request(BRANCH)
    gitlab_api.approve(mr["iid"], "dave", "Dave Reviewer")
    env = {
        "CI_MERGE_REQUEST_IID": str(mr["iid"]),
        "CI_SERVER_URL": gitlab_api.url,
        "CI_PROJECT_PATH": gitlab_api.project_path,
    }
    result = experiment.check(**env)
    assert "registration" not in failing(result), failing(result)
    registration = next(c for c in result["checks"] if c["check"] == "registration")
    assert registration["detail"].endswith("identity verified by gitlab")
    assert gitlab_api.count("GET", r"/merge_requests/1/approvals$") == 1


def test_gitlab_mode_fails_when_gitlab_lists_someone_else(experiment, gitlab_api) -> None:
    on_main(experiment, add_config("identity:\n  mode: gitlab\n"))
    mr = gitlab_api.add_merge_request(BRANCH)
    gitlab_api.approve(mr["iid"], "mallory")
    env = {
        "CI_MERGE_REQUEST_IID": str(mr["iid"]),
        "CI_SERVER_URL": gitlab_api.url,
        "CI_PROJECT_PATH": gitlab_api.project_path,
    }
    problems = failing(experiment.check(**env))
    assert problems["registration"] == [
        "approval.by: approval says by: dave, but GitLab lists mallory as having approved "
        f"merge request !{mr['iid']} (dave approves the merge request in GitLab)"
    ]


def ssh_key(folder: Path, name: str) -> tuple[Path, str]:
    key = folder / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True
    )
    return key, (folder / f"{name}.pub").read_text(encoding="utf-8").strip()


def signed_approval(experiment, key: Path, author: str, allowed: Path) -> str:
    """Rewind to review, approve as dave, and commit it signed with `key` as `author`."""
    repo = experiment.repo
    back_to_review(experiment)
    git(repo, "merge", "-q", "--no-edit", "--no-verify", "main")
    assert rflow_in(repo, "approve", HYPOTHESIS, RFLOW_USER="dave") == 0
    env = dict(os.environ)
    env.update(GIT_AUTHOR_NAME=author, GIT_AUTHOR_EMAIL=f"{author}@example.com")
    git(repo, "add", "-A")
    git(
        repo,
        "-c",
        "gpg.format=ssh",
        "-c",
        f"user.signingkey={key}",
        "-c",
        f"gpg.ssh.allowedSignersFile={allowed}",
        "commit",
        "-q",
        "-S",
        "--no-verify",
        "-m",
        "approve",
        env=env,
    )
    return git(repo, "rev-parse", "HEAD").strip()


def git_verifies(repo: Path, sha: str, allowed: Path) -> bool:
    """What `git verify-commit` itself says, with the same allowed-signers file."""
    done = subprocess.run(
        ["git", "-c", f"gpg.ssh.allowedSignersFile={allowed}", "verify-commit", sha],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    return done.returncode == 0


@pytest.fixture
def signers(experiment, tmp_path: Path):
    if subprocess.run(["which", "ssh-keygen"], capture_output=True).returncode != 0:
        pytest.skip("ssh-keygen is not installed")
    keys = tmp_path / "keys"
    keys.mkdir()
    dave, dave_pub = ssh_key(keys, "dave")
    mallory, _ = ssh_key(keys, "mallory")
    allowed = keys / "allowed_signers"
    allowed.write_text(f'dave namespaces="git" {dave_pub}\n', encoding="utf-8")

    def edit(repo: Path) -> None:
        (repo / ".gitlab" / "allowed_signers").write_text(allowed.read_text(), encoding="utf-8")
        add_config("identity:\n  mode: signature\n  allowed_signers: .gitlab/allowed_signers\n")(
            repo
        )

    on_main(experiment, edit)
    return {"dave": dave, "mallory": mallory, "allowed": allowed}


def test_signature_mode_passes_for_an_approval_signed_by_the_reviewer(experiment, signers) -> None:
    sha = signed_approval(experiment, signers["dave"], "dave", signers["allowed"])
    assert git_verifies(experiment.repo, sha, signers["allowed"])
    result = experiment.check()
    assert "registration" not in failing(result), failing(result)["registration"]


def test_signature_mode_fails_for_an_approval_signed_with_another_key(experiment, signers) -> None:
    sha = signed_approval(experiment, signers["mallory"], "dave", signers["allowed"])
    assert not git_verifies(experiment.repo, sha, signers["allowed"])
    problems = failing(experiment.check())["registration"]
    assert any(
        p.startswith(f"approval.by: approval (commit {sha[:12]}) has a signature")
        or p.startswith(f"approval.by: approval (commit {sha[:12]}) is not signed")
        for p in problems
    ), problems


def test_signature_mode_fails_for_an_unsigned_approval(experiment, signers) -> None:
    problems = failing(experiment.check())["registration"]
    [approval] = [p for p in problems if p.startswith("approval.by")]
    assert "is not signed" in approval
    assert "`git commit -S`" in approval


# --- identity told honestly (issue 21) ---------------------------------------------------


def test_an_approval_forged_with_git_author_name_is_named_as_the_author_mode_s_limit(
    experiment, tmp_path: Path
) -> None:
    from support.cli import run_in_process

    back_to_review(experiment)
    assert rflow_in(experiment.repo, "approve", HYPOTHESIS, RFLOW_USER="dave") == 0
    sneak(experiment.repo, "approved", author="dave")  # Alice commits as "dave"
    junit, markdown = tmp_path / "junit.xml", tmp_path / "summary.md"
    outcome = run_in_process(
        ["check", HYPOTHESIS, "--junit", str(junit), "--markdown", str(markdown)],
        cwd=experiment.repo,
    )
    line = (
        "identity mode author: an approval counts when its commit's author is the approver, "
        "and commit authors can be forged (GIT_AUTHOR_NAME); to verify approvers set "
        "`identity: {mode: gitlab}` or `identity: {mode: signature}` in researchflow.yaml; "
        "a confirmatory run counts as the executor's when the user `rflow run` recorded is "
        "the executor, and that user is what the person running it claimed (RFLOW_USER or "
        "git's user.name), in every identity mode"
    )
    assert line in outcome.stdout.splitlines()
    assert 'name="identity.mode" value="author"' in junit.read_text(encoding="utf-8")
    assert "commit authors can be forged" in junit.read_text(encoding="utf-8")
    assert "identity mode author" in markdown.read_text(encoding="utf-8")


def test_gitlab_mode_refuses_an_approver_who_only_borrowed_the_display_name(
    experiment, gitlab_api
) -> None:
    on_main(experiment, add_config("identity:\n  mode: gitlab\n"))
    mr = gitlab_api.add_merge_request(BRANCH)
    gitlab_api.approve(mr["iid"], "mallory", "dave")  # mallory's display name is "dave"
    env = {
        "CI_MERGE_REQUEST_IID": str(mr["iid"]),
        "CI_SERVER_URL": gitlab_api.url,
        "CI_PROJECT_PATH": gitlab_api.project_path,
    }
    result = experiment.check(**env)
    assert any(
        p.startswith("approval.by: approval says by: dave, but GitLab lists mallory")
        for p in failing(result)["registration"]
    ), failing(result)
    assert result["identity"]["mode"] == "gitlab"
