# PostgreSQL: the MLflow-server-on-PostgreSQL test (tests/fixtures/mlflow_server.py) starts a
# throwaway cluster with initdb/pg_ctl. Debian's package puts them in /usr/lib/postgresql/*/bin.
tool="PostgreSQL (initdb)"
tool_present() {
  command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}
[ -z "${RFLOW_TOOLS_PROBE:-}" ] || return 0
if ! tool_present; then
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi
