"""The leaf helpers every layer may import, adapters included: errors, files, problems,
safe YAML and text, and the names (IDs, branches, files, tags, CI variables)."""
