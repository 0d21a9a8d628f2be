"""`rflow init --gitlab-ci`: the include is added once, the user's file otherwise intact."""

from __future__ import annotations

import pytest
import yaml

from researchflow.base.names import JOB_FILE
from researchflow.documents.gitlab_ci import (
    IncludeNotEditable,
    builtin_template,
    includes_job,
    job_text,
    merge_include,
)

USER_CI = """\
# our pipeline
stages: [test]

unit:
  script: [make test]
"""


def test_a_missing_file_gets_just_the_include() -> None:
    merged = merge_include(None)
    assert yaml.safe_load(merged) == {"include": [{"local": JOB_FILE}]}


def test_a_file_without_include_keeps_its_text_and_gains_one() -> None:
    merged = merge_include(USER_CI)
    assert merged.startswith(USER_CI)
    config = yaml.safe_load(merged)
    assert config["unit"] == {"script": ["make test"]}
    assert includes_job(config)


@pytest.mark.parametrize(
    "include",
    [
        "include:\n  - local: ci/lint.yml\n  - template: Security/SAST.gitlab-ci.yml\n",
        "include:\n- local: ci/lint.yml\n",
        "include: ci/lint.yml\n",
    ],
    ids=["indented-list", "flush-list", "scalar"],
)
def test_an_existing_include_keeps_its_items_and_gains_ours(include: str) -> None:
    text = USER_CI + include + "after:\n  script: [echo]\n"
    merged = merge_include(text)
    config = yaml.safe_load(merged)
    assert includes_job(config)
    original = yaml.safe_load(text)["include"]
    original = original if isinstance(original, list) else [original]
    assert config["include"] == [*original, {"local": JOB_FILE}]
    assert config["after"] == {"script": ["echo"]}
    assert merge_include(merged) is None


def test_merging_twice_changes_nothing() -> None:
    once = merge_include(USER_CI)
    assert merge_include(once) is None


def test_a_flow_style_include_is_left_to_the_user() -> None:
    with pytest.raises(IncludeNotEditable):
        merge_include("include: [{local: a.yml}]\n")


def test_the_job_follows_the_configured_research_folder() -> None:
    job = yaml.safe_load(job_text(builtin_template(), "studies"))["rflow-check"]
    assert job["rules"][0]["changes"][0] == "studies/**/*"


def test_the_template_runs_the_gate_on_merge_requests_and_publishes_junit() -> None:
    job = yaml.safe_load(builtin_template())["rflow-check"]
    assert job["rules"][0]["if"] == '$CI_PIPELINE_SOURCE == "merge_request_event"'
    # the gate's own settings trigger it too: changing them alone must not skip the check
    assert job["rules"][0]["changes"] == [
        "research/**/*",
        "researchflow.yaml",
        "pyproject.toml",
        ".gitlab/rflow-check.yml",
        ".gitlab-ci.yml",
    ]
    script = "\n".join(job["script"])
    assert (
        "--changed --rerun --execute-notebooks --junit rflow-junit.xml --markdown rflow-summary.md"
        in script
    )
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"]["junit"] == "rflow-junit.xml"
