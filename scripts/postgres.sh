#!/usr/bin/env bash
# A throwaway local PostgreSQL cluster for tests.
#
#   scripts/postgres.sh start    install (once, as root), initdb + start a cluster on 127.0.0.1,
#                                create the database, print its SQLAlchemy URL last
#   scripts/postgres.sh stop     stop the cluster started here (by its saved data dir), delete it
#   scripts/postgres.sh status   print the URL of the running cluster, or exit 1
#
# The cluster lives in a fresh temporary folder that `stop` deletes; it listens on 127.0.0.1 only
# (and a Unix socket inside that folder), trusts local connections and has one superuser,
# `veilleuse`, so the tests can create and drop a database each. PostgreSQL refuses to run as
# root, so a root caller runs it as an unprivileged user (VEILLEUSE_PG_USER, default `postgres`,
# which Debian's package creates; a system user `veilleuse-test` is created when that is missing).
#
# Environment (all optional):
#   VEILLEUSE_PG_STATE     state folder: url, run dir (default <repo>/var/postgres)
#   VEILLEUSE_PG_PORT      port (default: a free port chosen at start)
#   VEILLEUSE_PG_USER      user that runs the server when this script runs as root
#   VEILLEUSE_PG_TIMEOUT   seconds to wait for the server (default 60)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${VEILLEUSE_PG_STATE:-$REPO/var/postgres}"
TIMEOUT="${VEILLEUSE_PG_TIMEOUT:-60}"
DB=veilleuse_test
ROLE=veilleuse
case "$STATE" in /*) ;; *) STATE="$PWD/$STATE" ;; esac

log() { echo "postgres: $*" >&2; }
die() { log "$*"; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }

run_user() {
    if [ -n "${VEILLEUSE_PG_USER:-}" ]; then echo "$VEILLEUSE_PG_USER"; return; fi
    if id postgres >/dev/null 2>&1; then echo postgres; return; fi
    if ! id veilleuse-test >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin veilleuse-test >&2 ||
            die "cannot create the user veilleuse-test (set VEILLEUSE_PG_USER)"
    fi
    echo veilleuse-test
}

# Run a command as the server's user (drops root; a no-op otherwise).
as_pg_user() {
    if is_root; then
        local user uid gid
        user="$(run_user)"
        uid="$(id -u "$user")" || die "user $user does not exist (set VEILLEUSE_PG_USER)"
        gid="$(id -g "$user")"
        setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$@"
    else
        "$@"
    fi
}

pg_bin() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    done
    if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
        dirname "$(command -v initdb)"
        return 0
    fi
    return 1
}

ensure_installed() {
    pg_bin >/dev/null && return 0
    is_root || die "PostgreSQL is not installed: apt-get install postgresql (as root)"
    log "installing Debian's postgresql with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2 ||
        { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2; } ||
        die "apt-get install postgresql failed"
    pg_bin >/dev/null || die "no initdb found after installing postgresql"
}

free_port() {
    if [ -n "${VEILLEUSE_PG_PORT:-}" ]; then echo "$VEILLEUSE_PG_PORT"; return; fi
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

clear_state() {
    if [ -f "$STATE/run_dir" ]; then
        local run
        run="$(cat "$STATE/run_dir")"
        case "$run" in */veilleuse-pg.*) rm -rf -- "$run" ;; esac
    fi
    rm -f "$STATE/url" "$STATE/run_dir" "$STATE/port"
}

running() {
    [ -f "$STATE/run_dir" ] && [ -f "$STATE/url" ] || return 1
    local bin run
    bin="$(pg_bin)" || return 1
    run="$(cat "$STATE/run_dir")"
    [ -d "$run/data" ] || return 1
    as_pg_user "$bin/pg_ctl" -D "$run/data" status >/dev/null 2>&1
}

cmd_start() {
    if running; then
        log "already running (data in $(cat "$STATE/run_dir"))"
        cat "$STATE/url"
        return 0
    fi
    clear_state
    ensure_installed
    local bin run port url
    bin="$(pg_bin)"
    port="$(free_port)"
    run="$(mktemp -d "${TMPDIR:-/tmp}/veilleuse-pg.XXXXXX")"
    chmod 755 "$run"
    mkdir -p "$STATE"
    is_root && chown "$(run_user)" "$run"
    echo "$run" >"$STATE/run_dir"
    log "initdb in $run"
    if ! (cd "$run" && as_pg_user "$bin/initdb" -D "$run/data" -U "$ROLE" --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 >"$run/initdb.log" 2>&1); then
        cat "$run/initdb.log" >&2 || true
        clear_state
        die "initdb failed"
    fi
    url="postgresql+psycopg://$ROLE@127.0.0.1:$port/$DB"
    log "starting on 127.0.0.1:$port"
    if ! (cd "$run" && as_pg_user "$bin/pg_ctl" -D "$run/data" -l "$run/server.log" -w \
        -t "$TIMEOUT" -o "-c listen_addresses=127.0.0.1 -p $port -k $run -c fsync=off \
        -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >&2); then
        tail -n 40 "$run/server.log" >&2 || true
        clear_state
        die "the server did not start"
    fi
    echo "$port" >"$STATE/port"
    echo "$url" >"$STATE/url"
    as_pg_user "$bin/createdb" -h 127.0.0.1 -p "$port" -U "$ROLE" "$DB" ||
        { cmd_stop; die "createdb $DB failed"; }
    log "ready; export VEILLEUSE_TEST_PG_URL=$url"
    echo "$url"
}

cmd_stop() {
    if ! running; then
        log "no cluster running from $STATE"
        clear_state
        return 0
    fi
    local bin run
    bin="$(pg_bin)"
    run="$(cat "$STATE/run_dir")"
    log "stopping the cluster in $run"
    as_pg_user "$bin/pg_ctl" -D "$run/data" -m fast -w -t 30 stop >&2 ||
        as_pg_user "$bin/pg_ctl" -D "$run/data" -m immediate stop >&2 || true
    clear_state
    log "stopped"
}

cmd_status() {
    running || { log "not running"; return 1; }
    cat "$STATE/url"
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status | url) cmd_status ;;
*) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
