"""Role rule: confirmatory runs are made by the executor, identified through `people:`."""

from __future__ import annotations

from researchflow.process.executor_rule import executor_problems

PEOPLE = {"carol": ("carol@example.com",), "alice": ("alice@example.com",)}


def _problems(runs, *, waived=False, people=PEOPLE, executor="carol"):
    return executor_problems(
        executor=executor, waived=waived, people=people, runs=runs, path="research/H-1/runs.yaml"
    )


def test_a_run_committed_by_the_executor_passes() -> None:
    assert _problems([("r1", None, "Carol C", "Carol@Example.com")]) == []


def test_a_run_by_someone_else_fails_naming_both() -> None:
    [problem] = _problems([("r1", None, "Alice", "alice@example.com")])
    assert problem.field == "roles.executor"
    assert problem.message == (
        "confirmatory run r1 was made by Alice <alice@example.com>, not by the executor carol"
    )


def test_either_the_store_user_or_the_commit_author_identifies_the_executor() -> None:
    assert _problems([("r1", "carol", "Alice", "alice@example.com")]) == []
    assert _problems([("r1", "alice", "Carol", "carol@example.com")]) == []
    assert len(_problems([("r1", "alice", "Alice", "alice@example.com")])) == 1


def test_a_written_reason_waives_the_rule() -> None:
    assert _problems([("r1", None, "Alice", "alice@example.com")], waived=True) == []


def test_without_a_people_entry_or_a_user_there_is_nothing_to_judge() -> None:
    assert _problems([("r1", None, "Alice", "alice@example.com")], people={}) == []
