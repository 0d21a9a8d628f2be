"""What `check --rerun` says when it cannot reproduce: the cause, never a wrong one."""

from __future__ import annotations

from fixtures.experiment import failing


def edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_data_nowhere_to_fetch_names_the_path_and_the_push(experiment) -> None:
    [run] = experiment.runs()
    md5 = run.data["data/numbers.csv"]
    for base in (experiment.repo / ".dvc" / "cache", experiment.remote):
        (base / "files" / "md5" / md5[:2] / md5[2:]).unlink()
    problems = failing(experiment.check("--rerun"))
    [rerun] = problems["rerun"]
    assert "the rerun needs data/numbers.csv" in rerun
    assert "`dvc push data/numbers.csv`" in rerun
    assert "no output" not in rerun and "check the service" not in rerun


def test_a_rerun_that_logs_no_predicted_metric_is_not_called_non_deterministic(
    experiment,
) -> None:
    edit(experiment.repo / "train.py", '"score", score', '"renamed", score')
    experiment.commit("the metric got a new name")
    problems = failing(experiment.check("--rerun"))
    [rerun] = problems["rerun"]
    assert "logged none of the predicted metrics (score)" in rerun
    assert "non-deterministic" not in rerun and "seed" not in rerun


def test_a_later_change_names_what_changed(experiment) -> None:
    edit(experiment.repo / "train.py", "FACTOR = 1.0", "FACTOR = 1.5")
    experiment.commit("tweak the model")
    [rerun] = failing(experiment.check("--rerun"))["rerun"]
    assert "a later change" in rerun and "changed since: code train.py" in rerun
