# Part of a four-stage DVC pipeline in miniature (prepare → featurize → train → evaluate).
import json
import pickle
from pathlib import Path

import yaml
from sklearn.ensemble import RandomForestClassifier

params = yaml.safe_load(Path("params.yaml").read_text())["train"]
data = json.loads(Path("data/features/train.json").read_text())
model = RandomForestClassifier(n_estimators=params["n_est"], random_state=params["seed"])
model.fit(data["X"], data["y"])
Path("model.pkl").write_bytes(pickle.dumps(model))
