# Step 1: a research repository, `rflow init`, and `rflow validate` catching a broken plan.
say "a fresh git repository, set up with rflow init"
cd "$DEMO_ROOT"
git init -q -b main repo
cd repo
echo "# churn research" > README.md
git add README.md && git commit -qm "initial commit"
rflow init
echo "-- running rflow init again changes nothing:"
rflow init
pre-commit install

say "the programme first: a problem statement the team agrees on"
cat > research/problem.qmd <<'QMD'
---
title: "Keep subscribers from churning"
status: agreed
owner: erin
metrics:
  - {name: retention_30d, kind: business, target: 10, direction: increase, unit: "%"}
  - {name: accuracy, kind: model, target: 0.9, direction: increase}
  - {name: latency_p95, kind: online, target: 1, direction: decrease, unit: s}
ml_needed: "yes: the tenure rule in use misses 40 % of churners"
cost_of_error: "a missed churner costs a year's fee; a wasted offer costs 5 EUR"
current_process: "the retention team calls a list sorted by tenure"
result_format: "a churn score per subscriber in the CRM, refreshed nightly"
expected_return: "2 % more retained subscribers for two months of work"
deadline: 2027-03-31
stakeholders: [erin, the retention team]
---

## Business goal

Raise 30-day retention by 10 %.

## Problem

Churn is 25 % today; the retention campaign reaches the wrong customers.

## Success metrics

Accuracy of at least 0.9 in telling churners apart; retention +10 % in an A/B test.

## Data

Three years of CRM data (the demo uses a small synthetic sample).

## Technical requirements

At most one second per prediction.

## Boundaries

Active subscribers only.

## Risks

Label noise in the churn flag.
QMD
rflow validate research/problem.qmd
git add -A && git commit -qm "Set up researchflow and agree the problem statement"

say "a plan with a broken RICE score and a wrong direction is refused"
mkdir -p research/H-001-demo
sed -e 's/^id: H-000/id: H-001/' -e 's/reach: 3/reach: 9/' -e 's/direction: increase/direction: up/' \
  "$(python -c 'import researchflow, pathlib; print(pathlib.Path(researchflow.__file__).parent / "templates/plan.qmd")')" \
  > research/H-001-demo/plan.qmd
rflow validate && { echo "expected validate to fail"; exit 1; } || echo "(exit code $?)"
rm -rf research/H-001-demo
