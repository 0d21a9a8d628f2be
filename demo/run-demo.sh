#!/usr/bin/env bash
# The README demo: a throwaway research repository on embedded defaults (no server needed).
# Each step in demo/steps/ builds on the one before; they run in name order.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export DEMO_ROOT="${DEMO_ROOT:-$(cd "$here/.." && pwd)/demo-workspace}"
rm -rf "$DEMO_ROOT"
mkdir -p "$DEMO_ROOT"
export GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-Alice Author}" GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-alice@example.com}"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
export MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT=true DVC_NO_ANALYTICS=1
export RFLOW_USER="${RFLOW_USER:-alice}"  # the acting user (author, approver) in each step
unset MLFLOW_TRACKING_URI GITLAB_TOKEN || true

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
export -f say

for step in "$here"/steps/*.sh; do
  # shellcheck source=/dev/null
  source "$step"
done
say "demo finished: the repository is in $DEMO_ROOT"
