# Step 6: the team lead's view across every branch: status, rank, the HTML board, doctor.
# Two more hypotheses are written straight into branches with git plumbing (no checkout),
# so the portfolio has something to show even if the earlier steps made few.
say "two more hypotheses, written into their own branches with git plumbing"
cd "$DEMO_ROOT/repo"

demo_next_number() {
  { git for-each-ref --format='%(refname:lstrip=-1)' 'refs/heads/hyp/*' 'refs/remotes/*/hyp/*'
    git ls-tree --name-only main research/ 2>/dev/null | sed 's|.*/||'
  } | sed -n 's/^H-0*\([0-9][0-9]*\).*/\1/p' | sort -n | tail -1
}

# demo_branch NUMBER SLUG PLAN_TEXT: a commit on hyp/H-NNN-SLUG off main with one plan
demo_branch() {
  local id folder blob tree commit index
  id="$(printf 'H-%03d' "$1")"
  folder="$id-$2"
  index="$(mktemp)"
  rm -f "$index"
  blob="$(printf '%s\n' "$3" | sed "s/__ID__/$id/" | git hash-object -w --stdin)"
  GIT_INDEX_FILE="$index" git read-tree main
  GIT_INDEX_FILE="$index" git update-index --add --cacheinfo "100644,$blob,research/$folder/plan.qmd"
  tree="$(GIT_INDEX_FILE="$index" git write-tree)"
  rm -f "$index"
  commit="$(git commit-tree "$tree" -p main -m "$id: plan")"
  git update-ref "refs/heads/hyp/$folder" "$commit"
  echo "  hyp/$folder"
}

demo_plan() {  # demo_plan TITLE STATUS EXECUTOR RICE CREATED APPROVED OUTCOME CONCLUSION
  cat <<PLAN
---
title: "$1"
id: __ID__
status: $2
outcome: $7
created: $5
roles: {author: alice, designer: bob, executor: $3, reviewers: [dave]}
rice: $4
serves: [retention_30d]
hypothesis: "$1."
predictions:
  - {metric: recall_at_10, baseline: 0.42, baseline_source: H-001, direction: increase, min_effect: 0.02, tolerance: 0.005}
data: []
command: python train.py
timebox_days: 5
approval: {by: dave, at: "$6", digest: "sha256:demo"}
deviations: []
conclusion: "$8"
format: html
---

## Context

Written by the demo to give the board something to show.

## Hypothesis

$1.

## Predictions

Recall at ten rises by two points.

## Experiment design

One time-based split.

### Data extraction

The last twelve weeks.

### Feature engineering

None.

### Statistical evaluation

A bootstrap interval.

### Modelling

The production model.

### Model evaluation

recall_at_10 on the last week.

## Risks

Seasonality.
PLAN
}

demo_n="$(demo_next_number)"
demo_n="${demo_n:-0}"
demo_old="$(date -d '-12 days' +%F)"
demo_branch $((demo_n + 1)) recency-window "$(demo_plan \
  'Recency decay beats a fixed window' running erin \
  '{reach: 4, impact: 3, confidence: 3, effort: 3}' "$demo_old" "${demo_old}T09:00:00Z" null '')"
demo_branch $((demo_n + 2)) weekday-features "$(demo_plan \
  'Weekday features reduce churn error' concluded frank \
  '{reach: 2, impact: 2, confidence: 3, effort: 4}' "$demo_old" "${demo_old}T09:00:00Z" refuted \
  'No effect beyond noise: weekday features add nothing.')"

say "rflow idea: intake before the branch, an ID and a RICE score in research/backlog.yaml"
rflow idea "Discount offers win back lapsed subscribers" --rice 4,4,2,3 --author erin

say "rflow status: every hypothesis branch, read from git objects without a checkout"
rflow status

say "rflow status --by metric: the programme, each success metric and who serves it"
rflow status --by metric

say "rflow rank: the backlog by RICE score (ideas with the drafts), with its four factors"
rflow rank --all

say "rflow digest: the weekly summary, in Markdown"
rflow digest --since 30d --output "$DEMO_ROOT/digest.md"
sed -n '1,20p' "$DEMO_ROOT/digest.md"

say "rflow board: one self-contained HTML page (programme, backlog, swimlanes, research log)"
rflow board --html "$DEMO_ROOT/board.html" --digest digest.md
echo "-- open file://$DEMO_ROOT/board.html in a browser"

say "rflow doctor: what is installed and reachable"
rflow doctor || echo "(doctor exit code $?: the lines marked FAIL say how to fix them)"
