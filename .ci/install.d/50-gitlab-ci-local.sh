# gitlab-ci-local runs the CI template in tests (shell executor); it needs Node, npm and rsync.
# Sourced by .ci/run: idempotent and quiet.
if ! command -v rsync >/dev/null 2>&1; then
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rsync >/dev/null
fi
if ! command -v npm >/dev/null 2>&1; then
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
if [ "$(gitlab-ci-local --version 2>/dev/null)" != "4.64.1" ]; then
  npm install -g --silent --no-audit --no-fund gitlab-ci-local@4.64.1 >/dev/null 2>&1
fi
