"""The team's process: roles per step, phases, intake and backlog, the hypotheses themselves."""
