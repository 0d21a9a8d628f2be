"""The pure parts of `rflow run`: arguments, dirt, params, tags, DVC files, UI links."""

from __future__ import annotations

import re

import pytest

from researchflow.adapters.dvc import parse_dvc_file, parse_lock
from researchflow.adapters.mlflow import ui_url
from researchflow.commands.run import split_arguments
from researchflow.documents.runinputs import flatten_params, unrecorded_dirt
from researchflow.runs.tags import data_from_tags, data_tag, decode_path, encode_path, run_tags


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["H-007", "python", "train.py"], ("H-007", ["python", "train.py"])),
        (["python", "train.py", "H-007"], (None, ["python", "train.py", "H-007"])),
        (["--", "true"], (None, ["true"])),
        (["H-0071", "--", "true"], ("H-0071", ["true"])),
        (["true"], (None, ["true"])),
        (["H-007"], ("H-007", [])),  # a lone ID is the hypothesis, never a command
        ([], (None, [])),
    ],
)
def test_the_id_is_taken_only_from_before_the_command(args, expected) -> None:
    assert split_arguments(args) == expected


@pytest.mark.parametrize(
    ("args", "separated", "expected"),
    [
        (["H-007", "--", "python", "train.py"], False, ("H-007", ["python", "train.py"])),
        (["python", "train.py"], True, (None, ["python", "train.py"])),
        (["H-007"], False, ("H-007", [])),
    ],
)
def test_run_takes_the_command_only_after_the_separator(args, separated, expected) -> None:
    assert split_arguments(args, separated=separated) == expected


@pytest.mark.parametrize("args", [["python", "train.py"], ["H-007", "python", "train.py"]])
def test_a_command_without_the_separator_is_refused(args) -> None:
    from researchflow.base.errors import UserError

    with pytest.raises(UserError, match="put `--` before the command"):
        split_arguments(args, separated=False)


@pytest.mark.parametrize(
    ("paths", "dirt"),
    [
        (["research/H-007-x/runs.yaml"], []),
        ([".rflow/mlflow.db", ".rflow/cache/a"], []),
        (["research/H-007-x/plan.qmd"], ["research/H-007-x/plan.qmd"]),
        (["train.py", "research/H-007-x/runs.yaml"], ["train.py"]),
        (["research/H-007-x/sub/runs.yaml"], ["research/H-007-x/sub/runs.yaml"]),
        (["runs.yaml"], ["runs.yaml"]),
        (["research/H-007-x/.runs.yaml.4nc0abfv.tmp"], []),  # a concurrent run's atomic write
        (["research/H-007-x/.plan.qmd.4nc0abfv.tmp"], ["research/H-007-x/.plan.qmd.4nc0abfv.tmp"]),
    ],
)
def test_only_rflow_bookkeeping_is_not_dirt(paths, dirt) -> None:
    assert unrecorded_dirt(paths, "research") == dirt


def test_params_are_flattened_the_way_dvc_names_them() -> None:
    params = {"train": {"lr": 0.1, "layers": [64, 32], "opt": {"name": "adam"}}, "seed": 7}
    assert flatten_params(params) == {
        "train.lr": "0.1",
        "train.layers": "[64, 32]",
        "train.opt.name": "adam",
        "seed": "7",
    }


def test_tags_name_the_hypothesis_commit_command_and_each_data_path() -> None:
    tags = run_tags(
        "H-007",
        "c0ffee",
        "hyp/H-007-x",
        False,
        ["python", "train.py", "--name", "a b"],
        {"data/raw.csv": "11", "data/images": "22.dir"},
    )
    assert tags["rflow.hypothesis"] == "H-007"
    assert tags["mlflow.source.git.commit"] == "c0ffee"
    assert tags["mlflow.source.git.branch"] == "hyp/H-007-x"
    assert tags["rflow.git.dirty"] == "false"
    assert tags["rflow.command"] == "python train.py --name 'a b'"
    assert tags["rflow.data.data/raw.csv"] == "11"
    assert tags["rflow.data.data/images"] == "22.dir"


def test_characters_mlflow_refuses_in_tag_keys_are_escaped_reversibly() -> None:
    assert data_tag("data/raw+clean (v2).csv") == "rflow.data.data/raw_x2b_clean _x28_v2_x29_.csv"
    assert data_from_tags({"rflow.data.data/raw_x2b_clean _x28_v2_x29_.csv": "11"}) == {
        "data/raw+clean (v2).csv": "11"
    }


def test_plain_paths_keep_the_tag_keys_older_runs_have() -> None:
    assert data_tag("data/train_set-v1.2/images") == "rflow.data.data/train_set-v1.2/images"
    assert data_from_tags({"rflow.data.data/raw.csv": "11", "rflow.command": "x"}) == {
        "data/raw.csv": "11"
    }


@pytest.mark.parametrize(
    "path",
    [
        "data/raw+clean (v2).csv",
        "data/a_x2b_.csv",  # looks like an escape already
        "data/_x_y_xx_",
        "data/ünïcödé 数据.csv",
        "data/colon:semi;pct%25&amp#~",
        "_",
        "x",
        "",
    ],
)
def test_every_path_round_trips_through_the_tag_key(path: str) -> None:
    key = encode_path(path)
    assert decode_path(key) == path
    assert re.fullmatch(r"[A-Za-z0-9_\-./ ]*", key)  # what MLflow accepts, on any OS


def test_dvc_file_paths_are_relative_to_its_folder() -> None:
    text = "outs:\n- md5: 3f.dir\n  size: 10\n  nfiles: 2\n  hash: md5\n  path: images\n"
    assert parse_dvc_file(text, "data/images.dvc") == {"data/images": "3f.dir"}


def test_lock_outputs_honour_the_stage_wdir_and_skip_dependencies() -> None:
    lock = (
        "schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n"
        "    deps:\n    - path: train.py\n      md5: aa\n"
        "    outs:\n    - path: model.pkl\n      md5: bb\n"
        "  split@1:\n    cmd: x\n    outs:\n    - path: out1.csv\n      md5: cc\n"
    )
    stages = "stages:\n  train:\n    wdir: models\n    cmd: python train.py\n"
    assert parse_lock(lock, "dvc.lock", stages) == {"models/model.pkl": "bb", "out1.csv": "cc"}


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("http://mlflow:5000/", "http://mlflow:5000/#/experiments/3/runs/abc"),
        ("sqlite:////repo/.rflow/mlflow.db", None),
        ("file:///tmp/mlruns", None),
    ],
)
def test_ui_url_exists_only_for_servers(uri, expected) -> None:
    assert ui_url(uri, "3", "abc") == expected
