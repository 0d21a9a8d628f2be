# Step 5b: a team that already runs its experiments as a DVC pipeline adopts rflow without
# changing a line: four stages (prepare → featurize → train → evaluate), params.yaml,
# dvclive writing eval/metrics.json, the raw data on a DVC remote (demo/pipeline).
say "a DVC pipeline project (dvc.yaml, params.yaml, dvclive) adopts rflow as it is"
demo_fail() { echo "demo step 55: $*" >&2; exit 1; }
cd "$DEMO_ROOT"
cp -r "$here/pipeline" pipeline-repo
mkdir -p pipeline-remote
cd pipeline-repo
git init -q -b main
rflow init >/dev/null
# one model, no programme: without a problem statement there is none to agree first
# (a draft one, as init writes it, would rightly hold every approval)
rm research/problem.qmd
dvc remote add -q -d storage "$DEMO_ROOT/pipeline-remote"
dvc add -q data/raw.csv && dvc push -q
git add -A && git commit -qm "A DVC pipeline, set up with rflow init"
git switch -q -c hyp/H-001-forest-ranks-responders
mkdir -p research/H-001-forest-ranks-responders
cat > research/H-001-forest-ranks-responders/plan.qmd <<'PLAN'
---
title: "A small forest ranks the two classes well"
id: H-001
status: review
outcome: null
created: 2026-01-05
roles: {author: alice, designer: bob, executor: carol, reviewers: [dave]}
rice: {reach: 3, impact: 2, confidence: 2, effort: 1}
hypothesis: "Twenty trees on three features rank test points far better than chance."
predictions:
  - {metric: roc_auc.test, baseline: 0.5, baseline_source: a random ranking, direction: increase, min_effect: 0.2, tolerance: 0.001}
data: [data/raw.csv]
command: dvc repro
timebox_days: 2
approval: null
deviations: []
format: html
---

## Context

The pipeline's model was never compared with chance on held-out points.

## Hypothesis

Twenty trees on the scaled features and their product separate the classes.

## Predictions

ROC AUC on the test split is at least 0.2 above the 0.5 of chance.

## Experiment design

`dvc repro` of the four-stage pipeline; dvclive writes eval/metrics.json.

### Data extraction

data/raw.csv, 80 points, tracked by DVC and pushed to the remote.

### Feature engineering

Both coordinates scaled by featurize.scale, and their product.

### Statistical evaluation

One deterministic run (fixed random_state); the tolerance covers float noise.

### Modelling

A random forest, train.n_est trees.

### Model evaluation

roc_auc and avg_prec on both splits, by dvclive, declared under metrics: in dvc.yaml.

## Risks

Synthetic points: the result says nothing about real data.
PLAN
rflow validate research/H-001-forest-ranks-responders/plan.qmd >/dev/null \
  || demo_fail "the pipeline's plan does not validate"
git add -A && git commit -qm "H-001: plan for review"
RFLOW_USER=dave rflow approve H-001
# the reviewer commits the approval as themselves: the gate checks the commit's author
git add -A && GIT_AUTHOR_NAME=dave GIT_AUTHOR_EMAIL=dave@example.com git commit -qm "H-001: approved by dave"

say "carol, the executor, runs H-001 -- dvc repro: dvclive's metrics, the params and the outputs land in the run"
RFLOW_USER=carol rflow run H-001 -- dvc repro 2>&1 | grep -E '^rflow:|^Running stage' || demo_fail "the pipeline run failed"
sed -n '/^- run_id/,$p' research/H-001-*/runs.yaml | grep -E 'data:|outputs:|metrics:' | sed 's/^/   /'
echo "-- as rflow says: commit dvc.lock with runs.yaml, and push the outputs"
git add dvc.lock .gitignore data/.gitignore research/H-001-*/runs.yaml
git commit -qm "H-001: run"
dvc push -q

say "rflow report: the observed roc_auc.test and its verdict"
rflow report H-001 >/dev/null
sed -n '/rflow:results:begin/,/rflow:results:end/p' research/H-001-*/report.qmd | grep -E '^\| (Prediction|roc_auc)'
# the author writes the report's own sections: at status reported, template text is refused
python - research/H-001-*/report.qmd <<'PY'
import re
import sys
from pathlib import Path
path = Path(sys.argv[1])
text = path.read_text(encoding="utf-8")
text = re.sub(r"TODO:.*?(?=\n\n|\Z)", "Written by the author for the demo.", text, flags=re.DOTALL)
path.write_text(text, encoding="utf-8")
PY
git add -A && git commit -qm "H-001: report"

say "rflow check --rerun: the raw data is fetched, DVC recomputes every stage (--force)"
rflow check H-001 --rerun 2>/dev/null || demo_fail "the pipeline did not pass the check"

say "params changed and committed without a rerun: plain check names the change"
sed -i 's/n_est: 20/n_est: 40/' params.yaml
git commit -qam "more trees"
drift="$(rflow check H-001 2>/dev/null)" && demo_fail "the params change was not caught"
grep -E 'train.n_est' <<<"$drift" || demo_fail "the check did not name the param"
echo "(caught without a rerun; exit code 1)"
git reset -q --hard HEAD~1
cd "$DEMO_ROOT/repo"
