# Step 3: a tiny deterministic training script, run through `rflow run` on DVC-tracked data.
say "rflow run: an MLflow run linked to H-001, its commit and its data"
cd "$DEMO_ROOT/repo"

# Step 20 leaves H-001 on its own branch; without it, this step writes a plan of its own.
hyp_branch="$(git for-each-ref --format='%(refname:short)' 'refs/heads/hyp/H-001-*' | head -n 1)"
if [ -n "$hyp_branch" ] && [ "$(git branch --show-current)" != "$hyp_branch" ]; then
  git checkout -q "$hyp_branch"
fi
if ! compgen -G "research/H-001-*/plan.qmd" >/dev/null; then
  git checkout -q -b hyp/H-001-threshold-model
  mkdir -p research/H-001-threshold-model
  sed -e 's/^id: H-000/id: H-001/' \
      -e 's/^title: .*/title: "A threshold model separates the two classes"/' \
      -e 's/author: TODO/author: alice/' \
      -e 's/TODO_metric/accuracy/' -e 's/baseline: 0.0/baseline: 0.5/' \
      -e 's/^data: \[\]/data: [data\/points.csv]/' \
      -e 's/^command: .*/command: python train.py/' \
      "$(python -c 'import researchflow, pathlib; print(pathlib.Path(researchflow.__file__).parent / "templates/plan.qmd")')" \
      > research/H-001-threshold-model/plan.qmd
fi
plan_dir="$(dirname research/H-001-*/plan.qmd)"

# deterministic data, versioned with DVC when it is installed
mkdir -p data
python - <<'PY'
import random
random.seed(7)
rows = ["x,label"]
for _ in range(200):
    label = random.random() < 0.5
    rows.append(f"{random.gauss(1.0 if label else -1.0, 0.8):.4f},{int(label)}")
open("data/points.csv", "w").write("\n".join(rows) + "\n")
PY
if [ -d .dvc ]; then dvc add -q data/points.csv; else git add data/points.csv; fi

cat > params.yaml <<'YAML'
train:
  steps: 50
YAML
cat > train.py <<'PY'
"""A one-feature threshold classifier: deterministic, no dependencies but mlflow."""
import csv

import mlflow
import yaml

steps = yaml.safe_load(open("params.yaml"))["train"]["steps"]
rows = [(float(r["x"]), int(r["label"])) for r in csv.DictReader(open("data/points.csv"))]
lowest, highest = min(x for x, _ in rows), max(x for x, _ in rows)


def accuracy(threshold):
    return sum((x > threshold) == bool(label) for x, label in rows) / len(rows)


candidates = [lowest + (highest - lowest) * i / steps for i in range(steps + 1)]
best = max(candidates, key=accuracy)
with mlflow.start_run():  # resumes the run rflow started (MLFLOW_RUN_ID)
    mlflow.log_metric("threshold", best)
    mlflow.log_metric("accuracy", accuracy(best))
print(f"threshold {best:.3f}: accuracy {accuracy(best):.3f}")
PY
git add -A && git commit -qm "H-001: data, params and a training script"

rflow run H-001 -- python train.py
echo "-- $plan_dir/runs.yaml:"
cat "$plan_dir/runs.yaml"

say "a run on uncommitted code is refused (exit 2), unless --allow-dirty marks it"
echo "# tweak" >> train.py
rflow run H-001 -- python train.py && { echo "expected a refusal"; exit 1; } || echo "(exit code $?)"
git checkout -q train.py
git add "$plan_dir/runs.yaml" && git commit -qm "H-001: record the first run"
