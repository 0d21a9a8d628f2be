"""What `rflow diff` calls a difference (pure)."""

from __future__ import annotations

from researchflow.runs.rundiff import RunFacts, compare, same_count


def _facts(**fields) -> RunFacts:
    base = {"run_id": "a" * 32, "status": "FINISHED", "commit": "c1", "command": ("python", "t.py")}
    return RunFacts(**{**base, **fields})


def test_equal_runs_have_no_difference_and_count_every_field_the_same() -> None:
    a = _facts(params={"lr": "0.1"}, metrics={"auc": 0.8}, data={"d.csv": "m1"})
    assert compare(a, a) == []
    assert same_count(a, a, []) == 8 + 3


def test_a_metric_logged_by_one_run_only_has_no_delta() -> None:
    a, b = _facts(metrics={"auc": 0.8}), _facts(metrics={"auc": 0.9, "loss": 0.1})
    rows = {row.name: row for row in compare(a, b)}
    assert round(rows["auc"].delta or 0, 6) == 0.1
    assert (rows["loss"].a, rows["loss"].b, rows["loss"].delta) == (None, "0.1", None)


def test_params_data_command_and_dirtiness_are_named_in_their_sections() -> None:
    a = _facts(params={"lr": "0.1"}, data={"d.csv": "m1"})
    b = _facts(params={"lr": "0.2"}, data={"d.csv": "m2"}, dirty=True, command=("python", "u.py"))
    found = {(row.section, row.name, row.a, row.b) for row in compare(a, b)}
    assert ("params", "lr", "0.1", "0.2") in found
    assert ("data", "d.csv", "m1", "m2") in found
    assert ("run", "dirty", "no", "yes") in found
    assert ("run", "command", "python t.py", "python u.py") in found
