# Headless Chromium: the board test renders `rflow board --html` in it (Debian's package).
tool="chromium"
tool_present() { command -v chromium >/dev/null 2>&1; }
[ -z "${RFLOW_TOOLS_PROBE:-}" ] || return 0
if ! tool_present; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
