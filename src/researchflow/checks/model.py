"""What a check found: one CheckResult per hypothesis per level (pure data)."""

from __future__ import annotations

from typing import Any

from researchflow.base.errors import EXIT_CHECK_FAILED, EXIT_OK, EXIT_SERVICE
from researchflow.base.frozen import field, frozen
from researchflow.base.output import attributes
from researchflow.base.problems import Problem

PASS = "pass"
FAIL = "fail"
SKIP = "skip"

# The seven levels of the spec, in the order they run and are shown.
LEVELS = ("plan", "registration", "provenance", "report", "rerun", "notebooks", "render")
# What a merge request may not change along with research: judged once, before the levels.
GATE = "gate"
GATE_SUBJECT = "merge request"  # the "hypothesis" column of the gate's own result


@frozen
class CheckResult:
    hypothesis: str
    level: str
    status: str  # pass | fail | skip
    problems: tuple[Problem, ...] = ()
    detail: str = ""  # what was verified, or why the level was skipped
    service_down: bool = False  # failed because MLflow/DVC/GitLab could not be reached

    @property
    def name(self) -> str:
        """`H-007 provenance`: the name people and JUnit see."""
        return f"{self.hypothesis} {self.level}"

    def to_json(self) -> dict[str, Any]:
        return {
            "hypothesis": self.hypothesis,
            "check": self.level,
            **attributes(self, "status", "detail"),
            "problems": [p.to_dict() for p in self.problems],
        }


def passed(hypothesis: str, level: str, detail: str = "") -> CheckResult:
    return CheckResult(hypothesis, level, PASS, (), detail)


def skipped(hypothesis: str, level: str, reason: str) -> CheckResult:
    return CheckResult(hypothesis, level, SKIP, (), reason)


def judged(hypothesis: str, level: str, problems: list[Problem], detail: str = "") -> CheckResult:
    """Pass when nothing was found, else fail with every problem."""
    status = FAIL if problems else PASS
    return CheckResult(hypothesis, level, status, tuple(problems), detail)


@frozen
class CheckReport:
    """Everything one `rflow check` found, in hypothesis then level order."""

    results: tuple[CheckResult, ...]
    hypotheses: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())  # e.g. "no hypothesis changed"
    identity: str = ""  # the identity mode in force (config `identity.mode`)

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if r.status == FAIL)

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def exit_code(self) -> int:
        if self.ok:
            return EXIT_OK
        if all(r.service_down for r in self.failed):
            return EXIT_SERVICE
        return EXIT_CHECK_FAILED

    def for_hypothesis(self, hypothesis: str) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if r.hypothesis == hypothesis)

    def result(self, hypothesis: str, level: str) -> CheckResult | None:
        return next(
            (r for r in self.results if r.hypothesis == hypothesis and r.level == level), None
        )
