"""The names rflow gives and reads, in one place (pure): hypothesis IDs and their parsing,
slugs and branch names, the files it keeps in a repository, and the CI variables it reads.
and the MLflow tags a linked run carries (written and read back by runs/tags.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from researchflow.base.errors import UserError

# ASCII digits only: `\d` would accept fullwidth and other scripts' digits as an ID
ID_PATTERN = re.compile(r"^H-([0-9]{3,})\Z")
ID_PREFIX_PATTERN = re.compile(r"^(H-[0-9]{3,})(?:-|\Z)")


def is_valid_id(value: object) -> bool:
    return isinstance(value, str) and ID_PATTERN.match(value) is not None


def id_number(hypothesis_id: str) -> int:
    match = ID_PATTERN.match(hypothesis_id)
    if match is None:
        raise ValueError(f"not a hypothesis ID: {hypothesis_id!r}")
    return int(match.group(1))


def format_id(number: int) -> str:
    return f"H-{number:03d}"


def id_from_name(name: str) -> str | None:
    """The ID a folder or branch leaf starts with (`H-007-graded-target` → `H-007`)."""
    match = ID_PREFIX_PATTERN.match(name)
    return match.group(1) if match else None


# --- slugs, branch names and allocation (issue 3) ------------------------------------

SLUG_MAX = 40
SLUG_FALLBACK = "hypothesis"
MIN_DIGITS = 3

# Russian, Ukrainian and Belarusian letters; a passport-style (ICAO-like) romanisation
# that reads naturally in a branch name.
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya", "є": "ye", "і": "i", "ї": "yi", "ґ": "g", "ў": "u",
}  # fmt: skip
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_REF_CHARS = re.compile(r"^[A-Za-z0-9._/-]*$")


def transliterate(text: str) -> str:
    """Cyrillic → Latin letters, Latin accents stripped; everything else kept as is."""
    import unicodedata

    lowered = text.casefold()
    spelled = "".join(_CYRILLIC.get(char, char) for char in lowered)
    decomposed = unicodedata.normalize("NFKD", spelled)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def slugify(title: str, max_length: int = SLUG_MAX) -> str:
    """A title → `[a-z0-9-]`, at most max_length characters, never empty.

    Everything that is not a Latin letter or digit after transliteration (quotes, `$(`,
    `;`, dots, slashes, newlines) becomes a separator, so no title can leave its folder.
    """
    words = _NOT_SLUG.sub("-", transliterate(title)).strip("-")
    if len(words) > max_length:
        cut = words[:max_length]
        # prefer a whole-word cut unless it would throw away most of the room
        boundary = cut.rfind("-")
        if boundary >= max_length // 2 and words[max_length] != "-":
            cut = cut[:boundary]
        words = cut.strip("-")
    return words or SLUG_FALLBACK


def clean_title(title: str) -> str:
    """One line of text: whitespace runs (newlines included) become one space, no controls."""
    import unicodedata

    visible = "".join(
        " " if char.isspace() else char
        for char in title
        if char.isspace() or unicodedata.category(char)[0] != "C"
    )
    return " ".join(visible.split())


def required_title(title: str, what: str) -> str:
    """The TITLE argument, cleaned; empty is the user's error (`what`: "idea", …)."""
    clean = clean_title(title)
    if not clean:
        raise UserError(f"TITLE: is empty (give the {what} a one-line title)")
    return clean


def folder_name(hypothesis_id: str, slug: str) -> str:
    return f"{hypothesis_id}-{slug}"


def branch_name(prefix: str, hypothesis_id: str, slug: str) -> str:
    return f"{prefix}{folder_name(hypothesis_id, slug)}"


def id_from_branch(prefix: str, branch: str | None) -> str | None:
    """`hyp/H-007-graded-target` → `H-007`; None for a branch that is not a hypothesis's."""
    if not branch or not branch.startswith(prefix):
        return None
    return id_from_name(branch[len(prefix) :])


def branch_problem(name: str) -> str | None:
    """Why git would refuse `name` as a branch (a safe subset of check-ref-format), or None."""
    if not name or not _REF_CHARS.match(name):
        return "use only letters, digits, '.', '_', '-' and '/'"
    if name.startswith(("/", "-")) or name.endswith(("/", ".")) or "//" in name:
        return "no leading '/' or '-', no trailing '/' or '.', no '//'"
    if ".." in name or "@{" in name:
        return "no '..'"
    for part in name.split("/"):
        if part.startswith(".") or part.endswith(".lock"):
            return "no part may start with '.' or end with '.lock'"
    return None


def next_id(names: Iterable[str], taken: Iterable[str] = ()) -> str:
    """max+1 over every ID found in branch names, folder names and reserved IDs.

    `names` may hold full ref names (`origin/hyp/H-007-x`, `refs/rflow/ids/H-007`) or
    folder names; only the last path component is looked at.
    """
    highest = 0
    for name in (*names, *taken):
        found = id_from_name(name.rsplit("/", 1)[-1])
        if found is not None:
            highest = max(highest, id_number(found))
    return format_id(highest + 1)


# --- files in a repository -----------------------------------------------------------------

CONFIG_FILE = "researchflow.yaml"
PLAN_FILE = "plan.qmd"  # research/<ID>-<slug>/plan.qmd
REPORT_FILE = "report.qmd"
RUNS_FILE = "runs.yaml"
BACKLOG_FILE = "backlog.yaml"  # research/backlog.yaml
PROBLEM_FILE = "problem.qmd"  # research/problem.qmd: the repository's programme
PROBLEMS_DIR = "problems"  # research/problems/<slug>.qmd: one per further programme
GITLAB_CI = ".gitlab-ci.yml"
JOB_FILE = ".gitlab/rflow-check.yml"  # the copied CI template, included locally

# --- what GitLab CI tells a job, and the token rflow reads ------------------------------------

CI_MERGE_REQUEST_IID = "CI_MERGE_REQUEST_IID"
CI_MERGE_REQUEST_TARGET = "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"
CI_MERGE_REQUEST_SOURCE = "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"
CI_MERGE_REQUEST_DIFF_BASE = "CI_MERGE_REQUEST_DIFF_BASE_SHA"
CI_COMMIT_REF_NAME = "CI_COMMIT_REF_NAME"
CI_SERVER_URL = "CI_SERVER_URL"
CI_PROJECT_PATH = "CI_PROJECT_PATH"
GITLAB_TOKEN = "GITLAB_TOKEN"

# --- MLflow tags a linked run carries ----------------------------------------------------

HYPOTHESIS = "rflow.hypothesis"
DIRTY = "rflow.git.dirty"
COMMAND = "rflow.command"
RERUN_OF = "rflow.rerun_of"
CWD = "rflow.cwd"
RERUN_REGISTRY = "rerun-registry.db"  # under .rflow/: where reruns' model versions go
REPEAT = "rflow.repeat"
ARM = "rflow.arm"
DVC_EXP = "rflow.dvc.exp"
PATCH = "rflow.git.patch"  # artifact path of a dirty run's `git diff HEAD`
NOTE = "mlflow.note.content"  # MLflow's run description: `rflow run --note`
EXPLORATORY = "rflow.exploratory"
RETIRED = "rflow.retired"
DATA_PREFIX = "rflow.data."
OUT_PREFIX = "rflow.out."
COMMIT = "mlflow.source.git.commit"
BRANCH = "mlflow.source.git.branch"
SOURCE_NAME = "mlflow.source.name"
SOURCE_TYPE = "mlflow.source.type"
USER = "mlflow.user"
PARENT_RUN = "mlflow.parentRunId"
