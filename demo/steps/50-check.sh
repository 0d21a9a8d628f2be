# Step 5: the reproducibility gate. `rflow check` passes on the clean experiment (with a
# rerun of the primary run on HEAD), then catches a number edited by hand in the report.
say "rflow check: plan, registration, provenance, report, rerun, notebooks, render"
cd "$DEMO_ROOT/repo"
demo_fail() { echo "demo step 50: $*" >&2; exit 1; }
rflow check --rerun --junit rflow-junit.xml --markdown rflow-summary.md \
  || demo_fail "the clean experiment did not pass the check (see above)"
echo "-- CI publishes rflow-junit.xml as the merge request's test report; one testcase per check:"
grep -o '<testcase [^>]*name="[^"]*"' rflow-junit.xml | sed 's/.*name=/  /' | head -7
rm -f rflow-junit.xml rflow-summary.md

say "tampering: a number in the report's results block edited by hand is caught"
H_REPORT="$(git ls-files 'research/*/report.qmd' | head -1)"
[ -n "$H_REPORT" ] || demo_fail "no committed report.qmd (step 40 must write one)"
python - "$H_REPORT" <<'PY'
import sys
from pathlib import Path

path = Path(sys.argv[1])
lines = path.read_text(encoding="utf-8").split("\n")
begin = lines.index("<!-- rflow:results:begin -->")
# the first prediction row of the generated table: | metric | direction | baseline | observed |
row = next(i for i in range(begin, len(lines)) if lines[i].startswith("| ") and "---" not in lines[i]
           and not lines[i].startswith("| Prediction"))
cells = lines[row].split("|")
observed = cells[4].strip()
better = f"{float(observed) + 0.05:.2f}"
print(f"   {path}: observed {observed} -> {better} (a 'better' result, typed in by hand)")
cells[4] = f" {better} "
lines[row] = "|".join(cells)
path.write_text("\n".join(lines), encoding="utf-8")
PY
rflow check && demo_fail "the hand-edited number was not caught" || echo "(exit code $?)"
git checkout -- "$H_REPORT"
echo "-- restored from git: the check passes again"
rflow check >/dev/null || demo_fail "the restored report does not pass"
echo "   rflow check: passed"
