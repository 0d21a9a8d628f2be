"""`rflow export ID -o FILE.zip` and `--verify` on a finished experiment's real store."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from fixtures.experiment import HYPOTHESIS, Experiment
from support.cli import run_in_process
from support.git import git

pytestmark = pytest.mark.slow


def _export(experiment: Experiment, name: str = "record.zip") -> Path:
    target = experiment.repo.parent / name
    outcome = run_in_process(["export", HYPOTHESIS, "-o", str(target)])
    assert outcome.code == 0, outcome.stderr
    return target


def test_the_record_holds_plan_approval_runs_store_facts_and_the_check(
    experiment: Experiment,
) -> None:
    record = _export(experiment)

    with zipfile.ZipFile(record) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        table = archive.read("registrations.md").decode()
        approved = archive.read("plan-as-approved.qmd").decode()
        check = json.loads(archive.read("check.json"))
        run_id = experiment.runs()[0].run_id
        facts = json.loads(archive.read(f"runs/{run_id}.json"))
    assert {"plan.qmd", "report.qmd", "runs.yaml", "check.json"} <= names
    assert manifest["hypothesis"] == HYPOTHESIS and manifest["check_ok"] is True
    assert manifest["commit"] == git(experiment.repo, "rev-parse", "HEAD").strip()
    assert set(manifest["files"]) == names - {"manifest.json"}
    assert "| approval | approval | dave |" in table
    assert "approval:" in approved and "status: approved" in approved
    assert check["ok"] is True
    assert facts["status"] == "FINISHED" and facts["tags"]["rflow.hypothesis"] == HYPOTHESIS
    assert facts["metrics"]["score"]["value"] == 2.0
    assert facts["metrics"]["score"]["logged_ms"] <= facts["end_time_ms"]


def test_verify_accepts_the_record_as_written(experiment: Experiment) -> None:
    record = _export(experiment)

    outcome = run_in_process(["export", "--verify", str(record)])

    assert outcome.code == 0, outcome.stderr
    assert "intact" in outcome.stdout


def test_verify_names_a_member_changed_after_export(experiment: Experiment) -> None:
    record = _export(experiment)
    forged = record.with_name("forged.zip")
    with zipfile.ZipFile(record) as source, zipfile.ZipFile(forged, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "runs.yaml":
                data = data.replace(b"score: 2.0", b"score: 9.0")
            target.writestr(item, data)
        target.writestr("extra.txt", b"slipped in")

    outcome = run_in_process(["export", "--verify", str(forged)])

    assert outcome.code == 1
    assert "runs.yaml: checksum differs from the manifest (changed)" in outcome.stderr
    assert "extra.txt: not in the manifest (added after export)" in outcome.stderr


def test_the_same_commit_exports_the_same_files(experiment: Experiment) -> None:
    first, second = _export(experiment, "a.zip"), _export(experiment, "b.zip")

    def sums(path: Path) -> dict:
        with zipfile.ZipFile(path) as archive:
            return json.loads(archive.read("manifest.json"))["files"]

    assert sums(first) == sums(second)


def test_a_record_needs_a_zip_name(experiment: Experiment) -> None:
    outcome = run_in_process(["export", HYPOTHESIS, "-o", "record.tar"])

    assert outcome.code == 2
    assert "the record is a zip" in outcome.stderr
