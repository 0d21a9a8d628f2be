"""Linked runs: the tags, starting and finishing a run, pipelines, repeats, the store's place."""
