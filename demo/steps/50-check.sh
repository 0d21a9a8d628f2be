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
import re
import sys
from pathlib import Path

path = Path(sys.argv[1])
text = path.read_text(encoding="utf-8")
begin = text.index("<!-- rflow:results:begin -->")
end = text.index("<!-- rflow:results:end -->")
block = text[begin:end]
number = re.search(r"\b\d+\.\d+\b", block)
if number is None:
    sys.exit("no number in the results block to tamper with")
nicer = f"{float(number.group()) + 0.05:.4f}"
print(f"   {path}: {number.group()} -> {nicer} (a 'better' result, typed in by hand)")
block = block[: number.start()] + nicer + block[number.end() :]
path.write_text(text[:begin] + block + text[end:], encoding="utf-8")
PY
rflow check && demo_fail "the hand-edited number was not caught" || echo "(exit code $?)"
git checkout -- "$H_REPORT"
echo "-- restored from git: the check passes again"
rflow check >/dev/null || demo_fail "the restored report does not pass"
echo "   rflow check: passed"
