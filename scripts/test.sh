#!/usr/bin/env bash
# The whole test suite with the real servers it needs. Elasticsearch (fetched from Maven Central
# on first use) and PostgreSQL (scripts/postgres.sh) are started here and stopped on exit;
# chromium is installed when missing; the SMTP, HTTP replay and web servers are started by the
# tests themselves on 127.0.0.1. Browser screenshots are kept in var/test-artifacts/. Extra
# arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 DO_NOT_TRACK=1 ORT_DISABLE_TELEMETRY=1
export PREFECT_SERVER_ANALYTICS_ENABLED=false PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=120
export VEILLEUSE_TEST_TMP="${VEILLEUSE_TEST_TMP:-$(mktemp -d -t veilleuse-test.XXXXXX)}"
export PREFECT_HOME="$VEILLEUSE_TEST_TMP/prefect"
# one int8 ONNX export of the model for the whole run, shared by every test and subprocess
export VEILLEUSE_EMBEDDING__MODELS_DIR="${VEILLEUSE_EMBEDDING__MODELS_DIR:-$VEILLEUSE_TEST_TMP/models}"

# the browser tests drive Debian's chromium through Playwright
bash scripts/ensure-chromium.sh
export VEILLEUSE_TEST_ARTIFACTS="${VEILLEUSE_TEST_ARTIFACTS:-$PWD/var/test-artifacts}"
mkdir -p "$VEILLEUSE_TEST_ARTIFACTS"

started_es=0
if [ -z "${VEILLEUSE_TEST_ES_URL:-}" ]; then
  VEILLEUSE_TEST_ES_URL="$(bash scripts/elasticsearch.sh start | tail -n 1)"
  started_es=1
fi
export VEILLEUSE_TEST_ES_URL
# a throwaway PostgreSQL cluster: the records tests run on SQLite and on PostgreSQL
started_pg=0
if [ -z "${VEILLEUSE_TEST_PG_URL:-}" ]; then
  if VEILLEUSE_TEST_PG_URL="$(bash scripts/postgres.sh start | tail -n 1)"; then
    started_pg=1
  else
    bash scripts/elasticsearch.sh stop || true
    exit 1
  fi
fi
export VEILLEUSE_TEST_PG_URL
cleanup() {
  if [ "$started_es" = 1 ]; then bash scripts/elasticsearch.sh stop || true; fi
  if [ "$started_pg" = 1 ]; then bash scripts/postgres.sh stop || true; fi
  rm -rf "$VEILLEUSE_TEST_TMP"
}
trap cleanup EXIT
echo "Elasticsearch for tests: $VEILLEUSE_TEST_ES_URL"
echo "PostgreSQL for tests: $VEILLEUSE_TEST_PG_URL"

# CI=true makes a missing server a failure instead of a skip (see tests/conftest.py)
CI="${CI:-true}" "$BIN/pytest" -q "$@"
