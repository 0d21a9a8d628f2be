"""The settings of `researchflow.yaml` (or `[tool.researchflow]`), declared for the document
engine (documents/schema.py).

A new setting is one `setting` here and one attribute of its record in documents/config.py,
which makes the Config from these values (tests/unit/test_config.py holds the two lists
equal). Settings are read in the order the file has them, so the first problem shown is the
first one in the file; a team's own `x-` keys are left alone at every level.
"""

from __future__ import annotations

from typing import Any

from researchflow.base.problems import Problem
from researchflow.documents.document import Document
from researchflow.documents.kinds import Custom, Fields, Flag, Names, Text, Whole
from researchflow.documents.schema import MISSING, Field, Kind, Reader

IDENTITY_MODES = ("author", "gitlab", "signature")

TEXT = Text(message="must be a non-empty string, not {value!r}", strip=False)
COUNT = Whole(1, message="must be a whole number >= 1, not {value!r}", fix="")
FLAG = Flag(message="must be true or false, not {value!r}")
NAMES = Names("e.g. [a, b]", one=False, strip=False)
EMPTY = ("must not be empty", "remove the key for the default")


def setting(key: str, kind: Kind, *, optional: bool = False) -> Field:
    """A setting; `key: null` is refused unless its default is None (`optional`)."""
    return Field(key, kind, null_problem=None if optional else EMPTY)


def section(fields: tuple[Field, ...], build: Any = None) -> Fields:
    """A mapping of settings; `key:` with only comments under it means the defaults."""
    return Fields(
        fields,
        "see the README",
        build=build,
        shape="must be a mapping of keys",
        unknown="unknown key",
        unknown_fix="known keys: {listed}",
        suggest=True,
        extensions=True,
        listed=sorted(field.key for field in fields),
        in_file_order=True,
    )


MODES_FIX = f"use one of: {', '.join(IDENTITY_MODES)}"


def _identity(reader: Reader, key: str, values: dict[str, Any]) -> Any:
    mode = values["mode"] or "author"
    if mode not in IDENTITY_MODES:
        reader.add(
            f"{key}.mode", f"{mode!r} is not allowed", f"use one of: {', '.join(IDENTITY_MODES)}"
        )
        return MISSING
    if mode == "signature" and not values["allowed_signers"]:
        reader.add(
            f"{key}.allowed_signers",
            "missing",
            "mode signature needs the path of an allowed-signers file on the target branch, "
            "e.g. .gitlab/allowed_signers",
        )
        return MISSING
    return values


PEOPLE_EXAMPLE = "e.g. people: {dave: [dave@example.com]}"


def _people(reader: Reader, key: str, value: Any) -> Any:
    """`people: {dave: [dave@example.com]}` → ((name, e-mails), ...)."""
    if not isinstance(value, dict):
        reader.add(key, "must map names to lists of git e-mails", PEOPLE_EXAMPLE)
        return MISSING
    people = []
    for name, emails in value.items():
        if isinstance(emails, str):
            emails = [emails]
        if (
            not isinstance(name, str)
            or not isinstance(emails, list)
            or not all(isinstance(e, str) and "@" in e for e in emails)
        ):
            reader.add(f"{key}.{name}", "must be a list of git e-mails", PEOPLE_EXAMPLE)
            continue
        people.append((name.strip(), tuple(e.strip() for e in emails)))
    return tuple(people)


PHASES_EXAMPLE = 'e.g. phases: {research: "a feasibility note", modelling: "an offline evaluation"}'


def _phases(reader: Reader, key: str, value: Any) -> Any:
    """`phases: {research: "a feasibility note", modelling: "...", ...}`, in order."""
    if not isinstance(value, dict) or not value:
        reader.add(key, "must map each phase to its deliverable", PHASES_EXAMPLE)
        return MISSING
    phases = []
    for name, deliverable in value.items():
        if not isinstance(name, str) or not name.strip() or not isinstance(deliverable, str):
            reader.add(
                f"{key}.{name}", "must name the phase's deliverable in words", PHASES_EXAMPLE
            )
            continue
        phases.append((name.strip(), " ".join(deliverable.split())))
    return tuple(phases)


SETTINGS = section(
    (
        setting("research_dir", TEXT),
        setting("branch_prefix", TEXT),
        setting("base_branch", TEXT, optional=True),
        setting("templates_dir", TEXT),
        Field(
            "sections",
            section(
                (
                    setting("required", NAMES),
                    setting("design", TEXT),
                    setting("design_steps", NAMES),
                    setting("report", NAMES),
                )
            ),
        ),
        Field(
            "mlflow",
            section(
                (
                    setting("tracking_uri", TEXT, optional=True),
                    setting("experiment", TEXT, optional=True),
                )
            ),
        ),
        Field(
            "gitlab",
            section(
                (
                    setting("url", TEXT, optional=True),
                    setting("project", TEXT, optional=True),
                    setting("remote", TEXT),
                )
            ),
        ),
        Field("dvc", section((setting("enabled", FLAG),))),
        Field("quarto", section((setting("required", FLAG),))),
        Field("review", section((setting("min_approvals", COUNT),))),
        setting("wip_limit", COUNT),
        setting("timebox_max_days", COUNT),
        setting("review_max_days", COUNT),
        setting("grooming_max_days", COUNT),
        Field(
            "identity",
            section(
                (setting("mode", TEXT), setting("allowed_signers", TEXT, optional=True)),
                build=_identity,
            ),
        ),
        Field("people", Custom(_people)),
        Field("phases", Custom(_phases), null_is_value=True),
    )
)


def read_settings(
    data: dict[str, Any], source: str, lines: dict[str, int] | None = None
) -> tuple[dict[str, Any], list[Problem]]:
    """The settings' values (None: not set, or unusable; a section is a dict of its own)
    and every problem, in the file's order."""
    reader = Reader(Document(data, lines or {}, (), 1), source)
    return SETTINGS.values(reader, data, ""), reader.problems
