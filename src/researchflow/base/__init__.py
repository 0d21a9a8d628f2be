"""The leaf helpers every layer may import, adapters included: errors, files, problems,
safe YAML and text, and the names (IDs, branches, files, tags, CI variables)."""

# `if TYPE_CHECKING:` guards typing's names, used in annotations only: importing typing
# itself costs every command about 7 ms, the pre-commit hook's `rflow validate` included.
# mypy reads any name TYPE_CHECKING as true.
TYPE_CHECKING = False
