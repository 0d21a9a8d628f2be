# Step 4: a reviewer approves the plan, a confirmatory run follows, and rflow writes the
# report. Builds on the hypothesis branch (step 20) and the runs (step 30).
cd "$DEMO_ROOT/repo"
demo_fail() { echo "demo step 40: $*" >&2; exit 1; }

# What the earlier steps left: the hypothesis of the current branch and its runs.
H_INFO="$(python - <<'PY'
import sys
from researchflow.documents.config import load_config
from researchflow.base.errors import RflowError
from researchflow.process.hypotheses import resolve_hypothesis
try:
    config = load_config()
    hypothesis_id, folder = resolve_hypothesis(config, None)
except RflowError as error:
    sys.exit(f"{error}")
print(hypothesis_id, folder.relative_to(config.root))
PY
)" || demo_fail "no hypothesis branch checked out: steps 20 and 30 must run first"
read -r H_ID H_DIR <<<"$H_INFO"
[ -s "$H_DIR/runs.yaml" ] || demo_fail "$H_DIR/runs.yaml has no runs (step 30 must make some)"
if grep -q '^status: draft' "$H_DIR/plan.qmd"; then
  say "the author finishes the plan (predictions, data, design) and asks for review"
  python - "$H_DIR/plan.qmd" <<'PY'
import sys
from pathlib import Path
from researchflow.documents.document import parse_document
from researchflow.documents.frontmatter import set_fields

path = Path(sys.argv[1])
text = path.read_text(encoding="utf-8")
author = parse_document(text).front_matter["roles"]["author"]
text = set_fields(text, {
    "status": "review",
    "roles": {"author": author, "designer": "bob", "executor": "carol", "reviewers": ["dave"]},
    "hypothesis": "A single threshold on x separates the two classes better than chance.",
    "predictions": [{"metric": "accuracy", "baseline": 0.5,
                     "baseline_source": "chance on two balanced classes",
                     "direction": "increase", "min_effect": 0.05, "tolerance": 0.001}],
    "data": ["data/points.csv"],
    "command": "python train.py",
    "evaluation": {"repeats": 1},  # deterministic: one run is the registered design
    "serves": ["accuracy"],
})
front, _, _ = text.partition("\n---\n")
body = """
## Context

Two classes of points; a chance classifier gets half of them right.

## Hypothesis

The classes differ in x, so one threshold on x classifies most points correctly.

## Predictions

Accuracy rises at least five points above the 0.5 of chance.

## Experiment design

One run of train.py over all points; the threshold is chosen on a fixed grid.

### Data extraction

data/points.csv, 200 points, versioned with DVC.

### Feature engineering

None: x is the only feature.

### Statistical evaluation

Accuracy over all points; one deterministic run, so no interval.

### Modelling

A threshold classifier, 50 grid steps (params.yaml).

### Model evaluation

accuracy and threshold, logged to MLflow by train.py.

## Risks

Points are synthetic: the result says nothing about real data.
"""
path.write_text(front + "\n---\n" + body, encoding="utf-8")
PY
  rflow validate "$H_DIR/plan.qmd" || demo_fail "the plan is not ready for review (see above)"
  git add "$H_DIR/plan.qmd" && git commit -qm "$H_ID: plan ready for review"
fi
# roles from the plan; names may hold spaces, hence the tab
IFS=$'\t' read -r H_AUTHOR H_REVIEWER < <(python - "$H_DIR/plan.qmd" <<'PY'
import sys
from pathlib import Path
from researchflow.documents.plan_rules import read_plan
plan = read_plan(Path(sys.argv[1]).read_text(encoding="utf-8"), sys.argv[1]).plan
print(plan.roles.author, (plan.roles.reviewers or ("-",))[0], sep="\t")
PY
)
[ "${H_REVIEWER:--}" != "-" ] || demo_fail "$H_DIR/plan.qmd names no reviewer (roles.reviewers)"

say "a reviewer who is not the author approves the plan (pre-registration)"
echo "-- the author may not approve their own plan:"
RFLOW_USER="$H_AUTHOR" rflow approve "$H_ID" && demo_fail "the author's approval was accepted" \
  || echo "(exit code $?)"
echo "-- the reviewer approves; rflow writes approval: {by, at, digest} and commits nothing:"
RFLOW_USER="$H_REVIEWER" rflow approve "$H_ID"
echo "-- the reviewer commits it as themselves: rflow check verifies the approving commit's author"
git add "$H_DIR/plan.qmd"
GIT_AUTHOR_NAME="$H_REVIEWER" GIT_AUTHOR_EMAIL="$H_REVIEWER@example.com" \
  git commit -qm "$H_ID: approved by $H_REVIEWER"

say "the executor starts the work: each step belongs to one role (four people here)"
echo "-- the author may not start it: starting is the executor's step"
RFLOW_USER="$H_AUTHOR" rflow start "$H_ID" && demo_fail "the author started the work" \
  || echo "(exit code $?)"
RFLOW_USER=carol rflow start "$H_ID"
echo "-- carol commits her own step: rflow check verifies who committed each lifecycle entry"
git add "$H_DIR/plan.qmd"
GIT_AUTHOR_NAME=carol GIT_AUTHOR_EMAIL=carol@example.com git commit -qm "$H_ID: started by carol"

say "the runs of step 30 came before the approval: exploratory. One confirmatory run now"
# no command after the ID: rflow runs the plan's registered `command:`, the only one a
# confirmatory run may execute; a confirmatory run is the executor's, and records its user
echo "-- the author may not make it: nothing is created in the store or runs.yaml"
RFLOW_USER="$H_AUTHOR" rflow run "$H_ID" && demo_fail "the author made a confirmatory run" \
  || echo "(exit code $?)"
RFLOW_USER=carol rflow run "$H_ID"
grep -E '^ *user:' "$H_DIR/runs.yaml" | tail -1 | sed 's/^ */   runs.yaml /'
git add "$H_DIR/runs.yaml" && git commit -qm "$H_ID: confirmatory run"

say "rflow report writes report.qmd: predictions vs observed, every run tried, a verdict each"
rflow report "$H_ID"
sed -n '/rflow:results:begin/,/rflow:results:end/p' "$H_DIR/report.qmd"
echo "-- the human sections are yours; --update refreshes only the block and keeps them:"
python - "$H_DIR/report.qmd" <<'PY'
import sys
from pathlib import Path
path = Path(sys.argv[1])
text = path.read_text(encoding="utf-8")
start = text.index("TODO: three sentences")
end = text.index("\n\n", start)
text = text[:start] + "One threshold on x classifies most points, as predicted." + text[end:]
# the other sections too: at status reported, rflow check refuses template text
import re
text = re.sub(r"TODO:.*?(?=\n\n|\Z)", "Written by the author for the demo.", text, flags=re.DOTALL)
path.write_text(text)
PY
rflow report "$H_ID" --update
grep -q "One threshold on x classifies" "$H_DIR/report.qmd" || demo_fail "--update lost human text"
git add "$H_DIR" && git commit -qm "$H_ID: report"
grep '^status:' "$H_DIR/plan.qmd"

say "a reviewer signs off the results; only then may the author conclude"
echo "-- the author cannot conclude before the sign-off:"
RFLOW_USER="$H_AUTHOR" rflow conclude "$H_ID" --conclusion "x" --decision stop \
  --decision-reason "x" && demo_fail "concluded without a sign-off" || echo "(exit code $?)"
echo "-- the executor cannot sign off their own results:"
RFLOW_USER=carol rflow signoff "$H_ID" && demo_fail "the executor signed off" \
  || echo "(exit code $?)"
RFLOW_USER="$H_REVIEWER" rflow signoff "$H_ID"
git add "$H_DIR/plan.qmd"
GIT_AUTHOR_NAME="$H_REVIEWER" GIT_AUTHOR_EMAIL="$H_REVIEWER@example.com" \
  git commit -qm "$H_ID: results signed off by $H_REVIEWER"
