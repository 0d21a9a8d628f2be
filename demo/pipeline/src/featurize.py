# Part of a four-stage DVC pipeline in miniature (prepare → featurize → train → evaluate).
import json
from pathlib import Path

import yaml

scale = yaml.safe_load(Path("params.yaml").read_text())["featurize"]["scale"]
out = Path("data/features")
out.mkdir(parents=True, exist_ok=True)
for split in ("train", "test"):
    rows = [r.split(",") for r in Path(f"data/prepared/{split}.csv").read_text().split()]
    feats = [[float(a) * scale, float(b) * scale, float(a) * float(b)] for a, b, _ in rows]
    labels = [int(r[2]) for r in rows]
    (out / f"{split}.json").write_text(json.dumps({"X": feats, "y": labels}))
