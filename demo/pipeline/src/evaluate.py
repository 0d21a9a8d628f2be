# Part of a four-stage DVC pipeline in miniature (prepare → featurize → train → evaluate).
import json
import pickle
from pathlib import Path

from dvclive import Live
from sklearn import metrics

model = pickle.loads(Path("model.pkl").read_bytes())
with Live("eval", dvcyaml=False) as live:
    live.summary = {"roc_auc": {}, "avg_prec": {}}
    for split in ("train", "test"):
        data = json.loads(Path(f"data/features/{split}.json").read_text())
        scores = model.predict_proba(data["X"])[:, 1]
        live.summary["roc_auc"][split] = metrics.roc_auc_score(data["y"], scores)
        live.summary["avg_prec"][split] = metrics.average_precision_score(data["y"], scores)
        live.log_sklearn_plot("roc", data["y"], scores, name=f"roc/{split}")
