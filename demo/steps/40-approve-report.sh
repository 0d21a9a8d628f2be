# Step 4: a reviewer approves the plan, a confirmatory run follows, and rflow writes the
# report. Builds on the hypothesis branch (step 20) and the runs (step 30).
say "a reviewer who is not the author approves the plan (pre-registration)"
cd "$DEMO_ROOT/repo"
demo_fail() { echo "demo step 40: $*" >&2; exit 1; }

# What the earlier steps left: the hypothesis of the current branch and its runs.
H_INFO="$(python - <<'PY'
import sys
from researchflow.config import load_config
from researchflow.errors import RflowError
from researchflow.hypotheses import plan_path, read_plan_file, resolve_hypothesis
try:
    config = load_config()
    hypothesis_id, folder = resolve_hypothesis(config, None)
except RflowError as error:
    sys.exit(f"{error}")
plan = read_plan_file(plan_path(folder), config).plan
reviewers = plan.roles.reviewers if plan else ()
author = plan.roles.author if plan else "-"
fields = [hypothesis_id, str(folder.relative_to(config.root)), reviewers[0] if reviewers else "-"]
print("\t".join([*fields, author]))  # names may hold spaces
PY
)" || demo_fail "no hypothesis branch checked out: steps 20 and 30 must run first"
IFS=$'\t' read -r H_ID H_DIR H_REVIEWER H_AUTHOR <<<"$H_INFO"
[ -s "$H_DIR/runs.yaml" ] || demo_fail "$H_DIR/runs.yaml has no runs (step 30 must make some)"
[ "$H_REVIEWER" != "-" ] || demo_fail "$H_DIR/plan.qmd names no reviewer (roles.reviewers)"
if grep -q '^status: draft' "$H_DIR/plan.qmd"; then
  sed -i 's/^status: draft/status: review/' "$H_DIR/plan.qmd"
  rflow validate "$H_DIR/plan.qmd" || demo_fail "the plan is not ready for review (see above)"
  git add "$H_DIR/plan.qmd" && git commit -qm "$H_ID: ready for review"
fi

echo "-- the author may not approve their own plan:"
RFLOW_USER="$H_AUTHOR" rflow approve "$H_ID" && demo_fail "the author's approval was accepted" \
  || echo "(exit code $?)"
echo "-- the reviewer approves; rflow writes approval: {by, at, digest} and commits nothing:"
RFLOW_USER="$H_REVIEWER" rflow approve "$H_ID"
git add "$H_DIR/plan.qmd" && git commit -qm "$H_ID: approved by $H_REVIEWER"

say "the runs of step 30 came before the approval: exploratory. One confirmatory run now"
# the same command the latest earlier run recorded, on the approved, committed plan
mapfile -t H_COMMAND < <(python - "$H_DIR/runs.yaml" <<'PY'
import sys
from pathlib import Path
from researchflow.runlog import read_runs
for arg in read_runs(Path(sys.argv[1])).runs[-1].command:
    print(arg)
PY
)
[ "${#H_COMMAND[@]}" -gt 0 ] || demo_fail "the last run in $H_DIR/runs.yaml recorded no command"
rflow run "$H_ID" -- "${H_COMMAND[@]}"
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
path.write_text(text[:start] + "The graded target was tested against the approved plan." + text[end:])
PY
rflow report "$H_ID" --update
grep -q "The graded target was tested" "$H_DIR/report.qmd" || demo_fail "--update lost human text"
git add "$H_DIR" && git commit -qm "$H_ID: report"
grep '^status:' "$H_DIR/plan.qmd"
