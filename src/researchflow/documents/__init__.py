"""The files rflow reads and writes in a repository (plan, problem statement, runs.yaml,
the report's front matter, researchflow.yaml, hooks, the CI job) and their schemas."""
