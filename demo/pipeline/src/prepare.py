# Part of a four-stage DVC pipeline in miniature (prepare → featurize → train → evaluate).
from pathlib import Path

import yaml

params = yaml.safe_load(Path("params.yaml").read_text())["prepare"]
rows = Path("data/raw.csv").read_text().splitlines()[1:]
cut = int(len(rows) * (1 - params["split"]))
out = Path("data/prepared")
out.mkdir(parents=True, exist_ok=True)
(out / "train.csv").write_text("\n".join(rows[:cut]) + "\n")
(out / "test.csv").write_text("\n".join(rows[cut:]) + "\n")
