#!/usr/bin/env bash
# `make serve`: a local Prefect server on 127.0.0.1 (state in var/prefect-server), then
# `veilleuse serve` against it; the server started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT="${PREFECT_PORT:-4200}"
DATA="${VEILLEUSE_DATA_DIR:-var}"
mkdir -p "$DATA/prefect-server"
export DO_NOT_TRACK=1 PREFECT_SERVER_ANALYTICS_ENABLED=false

# its own session: Ctrl+C stops `veilleuse serve` first, then the trap stops the server
PREFECT_HOME="$DATA/prefect-server" setsid "$BIN/prefect" server start --host 127.0.0.1 --port "$PORT" \
  >"$DATA/prefect-server/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT INT TERM

export PREFECT_API_URL="http://127.0.0.1:$PORT/api"
for _ in $(seq 1 120); do
  if curl -fsS "$PREFECT_API_URL/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then
    echo "prefect server exited, see $DATA/prefect-server/server.log" >&2
    exit 1
  fi
  sleep 1
done
curl -fsS "$PREFECT_API_URL/health" >/dev/null || { echo "prefect server not healthy" >&2; exit 1; }
echo "Prefect UI: http://127.0.0.1:$PORT"
"$BIN/veilleuse" serve
