# Step 2: a local bare "origin" standing in for GitLab, and `rflow new-hypothesis`.
# The origin's hook records the push options GitLab would read, so you see the draft
# merge request that GitLab would open; no GitLab and no token needed.
say "an origin that shows the merge request GitLab would open"
cd "$DEMO_ROOT"
git init -q --bare -b main origin.git
git -C origin.git config receive.advertisePushOptions true
cat > origin.git/hooks/pre-receive <<'HOOK'
#!/bin/sh
# GitLab reads the same variables: one GIT_PUSH_OPTION_<n> per `git push -o`.
i=0
while [ "$i" -lt "${GIT_PUSH_OPTION_COUNT:-0}" ]; do
  eval "value=\${GIT_PUSH_OPTION_$i}"
  printf '%s\n' "$value"
  i=$((i + 1))
done > "$(pwd)/last-push-options.txt"
HOOK
chmod +x origin.git/hooks/pre-receive

cd "$DEMO_ROOT/repo"
if [ -n "$(git status --porcelain)" ]; then
  git add -A && git commit -qm "Set up researchflow"
fi
git remote add origin "$DEMO_ROOT/origin.git"
git push -q -u origin main
git remote set-head origin main

say "rflow new-hypothesis: ID, branch, plan, commit, push, draft merge request"
rflow new-hypothesis "Graded target improves recall@10" --rice 3,3,2,3 --reviewer dave \
  --serves accuracy
echo "-- now on branch: $(git branch --show-current)"
echo "-- the plan's front matter:"
sed -n '2,9p' research/H-001-*/plan.qmd

say "what origin received (GitLab would open this draft merge request)"
python - "$DEMO_ROOT/origin.git/last-push-options.txt" <<'SHOW'
import sys
for line in open(sys.argv[1], encoding="utf-8").read().splitlines():
    key, _, value = line.partition("=")
    if key == "merge_request.description":
        print(f"{key}=")
        print("    " + value.replace("\\n", "\n    "))
    else:
        print(line)
SHOW

say "a second hypothesis gets the next ID; --json for scripts"
git switch -q main
rflow new-hypothesis "Session length predicts churn" --no-push --json
git switch -q hyp/H-001-graded-target-improves-recall-10
