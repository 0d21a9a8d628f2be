# gitlab-ci-local runs the CI template in tests (shell executor); it needs Node, npm and rsync.
tool="gitlab-ci-local 4.64.1 (with rsync)"
gcl_is_4_64_1() {  # reads the installed package.json: `gitlab-ci-local --version` takes 0.6 s
  local bin
  bin=$(command -v gitlab-ci-local 2>/dev/null) || return 1
  grep -q '"version": "4.64.1"' "$(dirname "$(readlink -f "$bin")")/../package.json" 2>/dev/null
}
tool_present() { command -v rsync >/dev/null 2>&1 && gcl_is_4_64_1; }
[ -z "${RFLOW_TOOLS_PROBE:-}" ] || return 0
if ! command -v rsync >/dev/null 2>&1; then
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rsync >/dev/null
fi
if ! command -v npm >/dev/null 2>&1; then
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
if ! gcl_is_4_64_1; then
  npm install -g --silent --no-audit --no-fund gitlab-ci-local@4.64.1 >/dev/null 2>&1
fi
