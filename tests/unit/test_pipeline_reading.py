"""Reading a DVC pipeline (pure): inputs vs outputs, metrics and params files, forced reruns."""

from __future__ import annotations

from pathlib import Path

import pytest

from researchflow.adapters.dvc_pipeline import (
    flatten,
    forced,
    is_pipeline_command,
    numeric,
    parse_pipeline,
    read_metrics,
    read_params_files,
)
from researchflow.base.errors import UserError
from researchflow.runs.drift import param_changes
from researchflow.runs.pipeline_run import merge_metrics

STAGES = """\
stages:
  prepare:
    cmd: python src/prepare.py
    deps: [data/raw.csv, src/prepare.py, external/labels.csv]
    params: [prepare]
    outs: [data/prepared]
  train:
    cmd: python src/train.py
    deps: [data/prepared, src/train.py]
    params:
      - train
      - configs/model.yaml:
          - depth
    outs: [model.pkl]
    metrics:
      - scores.json:
          cache: false
  evaluate:
    wdir: eval_dir
    cmd: python evaluate.py
    deps: [../model.pkl]
    outs: [out]
metrics:
  - eval/metrics.json
plots:
  - ROC:
      x: fpr
      y:
        eval/plots/roc/test.json: tpr
  - eval/importance.png
"""

LOCK = """\
schema: '2.0'
stages:
  prepare:
    cmd: python src/prepare.py
    deps:
    - {path: data/raw.csv, hash: md5, md5: aaa}
    - {path: src/prepare.py, hash: md5, md5: bbb}
    - {path: external/labels.csv, hash: md5, md5: ccc}
    params:
      params.yaml:
        prepare: {split: 0.25}
    outs:
    - {path: data/prepared, hash: md5, md5: ddd.dir}
  train:
    cmd: python src/train.py
    deps:
    - {path: data/prepared, hash: md5, md5: ddd.dir}
    outs:
    - {path: model.pkl, hash: md5, md5: eee}
  evaluate:
    cmd: python evaluate.py
    outs:
    - {path: out, hash: md5, md5: fff.dir}
"""


def pipeline():
    return parse_pipeline({"dvc.yaml": STAGES, "dvc.lock": LOCK})


def test_outputs_are_what_stages_produce_and_inputs_what_none_does() -> None:
    p = pipeline()
    assert p.outputs == {"data/prepared": "ddd.dir", "model.pkl": "eee", "eval_dir/out": "fff.dir"}
    assert p.produced("data/prepared/train.csv") and p.produced("scores.json")
    assert not p.produced("data/raw.csv")
    # code is git's business; a dependency git does not track and no stage makes is an input
    tracked = {"src/prepare.py", "src/train.py", "data/raw.csv.dvc"}
    assert p.inputs(tracked) == {"data/raw.csv": "aaa", "external/labels.csv": "ccc"}


def test_metrics_plots_and_params_files_are_every_one_dvc_yaml_declares() -> None:
    p = pipeline()
    assert p.metrics_files == ("eval/metrics.json", "scores.json")
    assert p.plots == ("eval/plots/roc/test.json", "eval/importance.png")
    assert set(p.params_files) == {"params.yaml", "configs/model.yaml"}


def test_metrics_are_flattened_as_dvc_metrics_show_names_them(tmp_path: Path) -> None:
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "metrics.json").write_text(
        '{"roc_auc": {"train": 1.0, "test": 0.88}, "ok": true, "note": "x"}', encoding="utf-8"
    )
    (tmp_path / "scores.json").write_text('{"roc_auc": {"test": 0.5}}', encoding="utf-8")
    metrics = read_metrics(tmp_path, pipeline())
    # a key two files share is told apart by its file, as `dvc exp show` does
    assert metrics == {
        "roc_auc.train": 1.0,
        "eval/metrics.json:roc_auc.test": 0.88,
        "scores.json:roc_auc.test": 0.5,
    }


def test_params_come_from_every_params_file(tmp_path: Path) -> None:
    (tmp_path / "configs").mkdir()
    (tmp_path / "params.yaml").write_text("train: {n_est: 20, lr: 0.1}\n", encoding="utf-8")
    (tmp_path / "configs" / "model.yaml").write_text("depth: 3\n", encoding="utf-8")
    params = read_params_files(tmp_path, pipeline().params_files)
    assert params == {"train.n_est": "20", "train.lr": "0.1", "configs/model.yaml:depth": "3"}


def test_invalid_metrics_file_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "scores.json").write_text("{broken", encoding="utf-8")
    with pytest.raises(UserError, match=r"scores.json: invalid JSON"):
        read_metrics(tmp_path, pipeline())


def test_a_rerun_of_a_pipeline_is_forced_and_other_commands_are_untouched() -> None:
    assert forced(["dvc", "repro"]) == ["dvc", "repro", "--force"]
    assert forced(["dvc", "repro", "train"]) == ["dvc", "repro", "--force", "train"]
    assert forced(["python", "-m", "dvc", "exp", "run", "-S", "a=1"]) == [
        "python", "-m", "dvc", "exp", "run", "--force", "-S", "a=1",
    ]  # fmt: skip
    assert forced(["dvc", "repro", "-f"]) == ["dvc", "repro", "-f"]
    assert forced(["python", "train.py"]) == ["python", "train.py"]
    assert not is_pipeline_command(["dvc", "push"])


def test_a_metric_the_command_logged_itself_wins() -> None:
    to_log, kept = merge_metrics({"auc": 0.9}, {"auc": 0.8, "loss": 0.1})
    assert to_log == {"loss": 0.1}
    assert kept == ["auc"]


def test_flatten_and_numeric_and_param_changes() -> None:
    assert flatten({"a": {"b": {"c": 1}}, "d": [1]}) == {"a.b.c": 1, "d": [1]}
    assert numeric({"a": 1, "b": True, "c": "x", "d": float("nan")}) == {"a": 1.0}
    [change] = param_changes({"train.n_est": "20", "x": "1"}, {"train.n_est": "30", "x": "1"})
    assert str(change) == "train.n_est 20 → 30"


def test_reruns_tell_the_command_so_it_can_skip_side_effects() -> None:
    from pathlib import Path

    from researchflow.runs.linked import StartedRun

    def started(rerun: bool) -> StartedRun:
        return StartedRun(
            "H-001", "r1", "1", "sqlite:///x.db", "c0ffee", None, False, ("true",), {}, "",
            (), Path("runs.yaml"), None, rerun=rerun,
        )  # fmt: skip

    assert started(True).child_environment()["RFLOW_RERUN"] == "1"
    assert "RFLOW_RERUN" not in started(False).child_environment()


def test_outputs_with_cache_false_are_known_to_live_in_git() -> None:
    stages = (
        "stages:\n  evaluate:\n    cmd: python evaluate.py\n    outs:\n"
        "      - model.pkl\n      - eval/metrics.json:\n          cache: false\n"
        "    metrics:\n      - eval/summary.json:\n          cache: false\n"
    )

    pipeline = parse_pipeline({"dvc.yaml": stages})

    assert pipeline.uncached == {"eval/metrics.json", "eval/summary.json"}
    assert pipeline.produced("model.pkl") and "model.pkl" not in pipeline.uncached
