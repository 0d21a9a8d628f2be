"""The evidence and the verdicts: what the runs say against the registered predictions."""
