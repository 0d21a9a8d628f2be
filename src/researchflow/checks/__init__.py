"""`rflow check`: the reproducibility gate, one module per level, a runner and reporters."""
