"""One module per command: orchestration only, returning results or exit codes."""
