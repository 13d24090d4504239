#!/usr/bin/env bash
# A throwaway local Elasticsearch node for tests and the demo.
#
#   scripts/elasticsearch.sh start    fetch (once), start a node on 127.0.0.1, print its URL last
#   scripts/elasticsearch.sh stop     stop the node started here (by its saved PID), delete its data
#                                     (never while a live process still names that data folder)
#   scripts/elasticsearch.sh status   print the URL of the running node, or exit 1
#   scripts/elasticsearch.sh resume   start the last node again on its data (after a crash/kill)
#   scripts/elasticsearch.sh fetch    only download + unpack the distribution into the cache
#
# The distribution is Elastic's integration-test zip from Maven Central (server, transport and the
# x-pack core/security modules only: no analysis-common, no ML, no licensed retrievers). Data and
# logs live in a fresh temporary folder that `stop` deletes. Elasticsearch refuses to run as root,
# so a root caller runs the node as an unprivileged user (VEILLEUSE_ES_USER, default nobody).
#
# Environment (all optional):
#   VEILLEUSE_CACHE        cache root, outside the repository (default $HOME/.cache/veilleuse)
#   VEILLEUSE_ES_STATE     state folder: pid, url, run dir (default <repo>/var/elasticsearch)
#   VEILLEUSE_ES_VERSION   distribution version (default 8.19.3, matches the Python client 8.19)
#   VEILLEUSE_ES_PORT      HTTP port (default: a free port chosen at start)
#   VEILLEUSE_ES_HEAP      JVM heap (default 512m)
#   VEILLEUSE_ES_TIMEOUT   seconds to wait for a yellow cluster (default 120)
#   VEILLEUSE_ES_USER      user that runs the node when this script runs as root (default nobody)
#   ES_JAVA_HOME           JDK 17+ to use (default: the `java` on PATH)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="${VEILLEUSE_ES_VERSION:-8.19.3}"
CACHE="${VEILLEUSE_CACHE:-${HOME:-/root}/.cache/veilleuse}/elasticsearch"
STATE="${VEILLEUSE_ES_STATE:-$REPO/var/elasticsearch}"
HEAP="${VEILLEUSE_ES_HEAP:-512m}"
TIMEOUT="${VEILLEUSE_ES_TIMEOUT:-120}"
RUN_USER="${VEILLEUSE_ES_USER:-nobody}"
ARTIFACT="org.elasticsearch.distribution.integ-test-zip:elasticsearch:${VERSION}:zip"
case "$CACHE" in /*) ;; *) CACHE="$PWD/$CACHE" ;; esac
case "$STATE" in /*) ;; *) STATE="$PWD/$STATE" ;; esac
ZIP="$CACHE/elasticsearch-${VERSION}.zip"

log() { echo "elasticsearch: $*" >&2; }
die() { log "$*"; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

# Run a command as the node's user (drops root; a no-op otherwise).
as_node_user() {
    if is_root; then
        local uid gid
        uid="$(id -u "$RUN_USER")" || die "user $RUN_USER does not exist (set VEILLEUSE_ES_USER)"
        gid="$(id -g "$RUN_USER")"
        setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$@"
    else
        "$@"
    fi
}

fetch_zip() {
    [ -f "$ZIP" ] && return 0
    command -v mvn >/dev/null || die "mvn not found: install Maven (apt-get install maven) or put $ZIP there"
    mkdir -p "$CACHE"
    local tmp
    tmp="$(mktemp -d "$CACHE/download.XXXXXX")"
    log "downloading $ARTIFACT from Maven Central into $CACHE"
    if ! mvn -q -B -Dstyle.color=never dependency:copy -Dartifact="$ARTIFACT" -DoutputDirectory="$tmp" >&2; then
        rm -rf "$tmp"
        die "could not fetch $ARTIFACT with Maven (check access to Maven Central)"
    fi
    mv "$tmp/elasticsearch-${VERSION}.zip" "$ZIP"
    rm -rf "$tmp"
}

# Where the distribution is unpacked. A root caller's home is usually private (0700), so the
# unprivileged node user could not read it there: then a root-owned system cache is used.
es_home() {
    local home="$CACHE/elasticsearch-${VERSION}"
    if is_root && ! as_node_user test -r "$CACHE" -a -x "$CACHE" 2>/dev/null; then
        home="/var/cache/veilleuse/elasticsearch/elasticsearch-${VERSION}"
    fi
    echo "$home"
}

unpack() {
    local home="$1" parent tmp
    [ -x "$home/bin/elasticsearch" ] && return 0
    parent="$(dirname "$home")"
    mkdir -p "$parent"
    tmp="$(mktemp -d "$parent/unpack.XXXXXX")"
    log "unpacking $ZIP into $home"
    if command -v unzip >/dev/null; then
        unzip -q "$ZIP" -d "$tmp" || { rm -rf "$tmp"; die "cannot unpack $ZIP (delete it to download again)"; }
    else  # Python's zipfile drops the executable bits: put them back on the launchers
        python3 -m zipfile -e "$ZIP" "$tmp" || { rm -rf "$tmp"; die "cannot unpack $ZIP (delete it to download again)"; }
        chmod a+x "$tmp/elasticsearch-${VERSION}"/bin/*
    fi
    chmod -R a+rX "$tmp"
    mv "$tmp/elasticsearch-${VERSION}" "$home"
    rm -rf "$tmp"
}

java_home() {
    if [ -n "${ES_JAVA_HOME:-}" ]; then echo "$ES_JAVA_HOME"; return; fi
    local java
    java="$(command -v java)" || die "java not found: install a JDK 17+ or set ES_JAVA_HOME"
    dirname "$(dirname "$(readlink -f "$java")")"
}

free_port() {
    if [ -n "${VEILLEUSE_ES_PORT:-}" ]; then echo "$VEILLEUSE_ES_PORT"; return; fi
    if command -v python3 >/dev/null; then
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
        return
    fi
    local port
    for _ in $(seq 50); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
    done
    die "no free port found on 127.0.0.1"
}

healthy() {
    curl -fsS --max-time 10 "$1/_cluster/health?wait_for_status=yellow&timeout=5s" >/dev/null 2>&1
}

# The saved PID, only if that process is still our node (its command line names our run dir).
live_pid() {
    local pid run
    [ -f "$STATE/pid" ] && [ -f "$STATE/run_dir" ] || return 1
    pid="$(cat "$STATE/pid")"
    run="$(cat "$STATE/run_dir")"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$run" || return 1
    echo "$pid"
}

# PIDs of live processes whose command line names the folder $1 (a node that still uses it,
# whether or not its PID is the one saved: a node restarted by hand, a lost pid file).
users_of() {
    local dir="$1" proc pid
    for proc in /proc/[0-9]*; do
        pid="${proc#/proc/}"
        [ "$pid" = "$$" ] && continue
        tr '\0' ' ' <"$proc/cmdline" 2>/dev/null | grep -qF -- "$dir" && echo "$pid"
    done
    return 0
}

# Forget the saved node and delete its run folder — never while a live process still uses that
# folder: then the state is kept and this fails, naming the PIDs.
clear_state() {
    if [ -f "$STATE/run_dir" ]; then
        local run users
        run="$(cat "$STATE/run_dir")"
        users="$(users_of "$run" | tr '\n' ' ')"
        if [ -n "${users// /}" ]; then
            die "not deleting $run: still used by live process(es) $users(stop them first)"
        fi
        case "$run" in */veilleuse-es.*) rm -rf -- "$run" ;; esac
    fi
    rm -f "$STATE/pid" "$STATE/url" "$STATE/run_dir"
}

show_log_tail() {
    local run="$1" file
    for file in "$run/logs/startup.log" "$run/logs/veilleuse-test.log"; do
        [ -f "$file" ] || continue
        log "---- last lines of $file"
        tail -n 40 "$file" >&2
    done
}

write_config() {
    local run="$1" home="$2" port="$3"
    cp -R "$home/config" "$run/config"
    # Relative log paths in jvm.options would land in the read-only distribution.
    sed -i -e "s#file=gc.log#file=$run/logs/gc.log#" -e "s#ErrorFile=hs_err#ErrorFile=$run/logs/hs_err#" \
        "$run/config/jvm.options"
    printf -- '-XX:HeapDumpPath=%s/logs\n' "$run" >"$run/config/jvm.options.d/veilleuse.options"
    {
        echo "cluster.name: veilleuse-test"
        echo "node.name: veilleuse-test-node"
        echo "path.data: $run/data"
        echo "path.logs: $run/logs"
        echo "network.host: 127.0.0.1"
        echo "http.port: $port"
        echo "discovery.type: single-node"
        echo "xpack.security.enabled: false"
        # test machines often have full disks: never turn indices read-only
        echo "cluster.routing.allocation.disk.threshold_enabled: false"
        echo "action.destructive_requires_name: true"
        # only set where the module that registers the setting exists (unknown settings are fatal)
        [ -d "$home/modules/x-pack-ml" ] && echo "xpack.ml.enabled: false"
        [ -d "$home/modules/ingest-geoip" ] && echo "ingest.geoip.downloader.enabled: false"
        true
    } >"$run/config/elasticsearch.yml"
}

cmd_start() {
    local pid
    if pid="$(live_pid)"; then
        local url
        url="$(cat "$STATE/url")"
        if healthy "$url"; then
            log "already running (pid $pid)"
            echo "$url"
            return 0
        fi
        die "node pid $pid at $url is running but not healthy: run '$0 stop' first"
    fi
    clear_state
    fetch_zip
    local home run port url
    home="$(es_home)"
    unpack "$home"
    port="$(free_port)"
    url="http://127.0.0.1:$port"
    run="$(mktemp -d "${TMPDIR:-/tmp}/veilleuse-es.XXXXXX")"
    chmod 755 "$run"
    mkdir -p "$run/data" "$run/logs" "$run/tmp" "$STATE"
    write_config "$run" "$home" "$port"
    is_root && chown -R "$RUN_USER" "$run"
    echo "$run" >"$STATE/run_dir"
    echo "$url" >"$STATE/url"
    launch "$run" "$home" "$url"
}

# Start the node again on the data of the last one (after it crashed or was killed): same
# folder, same port; refused while a live process still uses that folder.
cmd_resume() {
    local pid run url users
    if pid="$(live_pid)"; then die "node pid $pid still runs: nothing to resume"; fi
    [ -f "$STATE/run_dir" ] && [ -f "$STATE/url" ] || die "no node to resume in $STATE"
    run="$(cat "$STATE/run_dir")"
    url="$(cat "$STATE/url")"
    users="$(users_of "$run" | tr '\n' ' ')"
    [ -z "${users// /}" ] || die "$run is still used by live process(es) $users"
    rm -f "$run/es.pid" "$STATE/pid"
    launch "$run" "$(es_home)" "$url" true  # a failed resume keeps the data
}

# Launch the node of run folder $1 (distribution $2) and wait until $3 answers yellow; on a
# failure run $4 (default clear_state: forget and delete a fresh run folder).
launch() {
    local run="$1" home="$2" url="$3" cleanup="${4:-clear_state}" jhome pid
    jhome="$(java_home)"
    log "starting $VERSION on $url (data in $run)"
    # from the run dir: anything the JVM writes to its working directory stays there
    if ! cd "$run" || ! as_node_user env HOME="$run" ES_HOME="$home" ES_PATH_CONF="$run/config" \
        ES_TMPDIR="$run/tmp" ES_JAVA_HOME="$jhome" ES_JAVA_OPTS="-Xms$HEAP -Xmx$HEAP" \
        "$home/bin/elasticsearch" -d -p "$run/es.pid" >>"$run/logs/startup.log" 2>&1 </dev/null; then
        show_log_tail "$run"
        $cleanup
        die "the node did not start"
    fi
    local waited=0
    until [ -s "$run/es.pid" ]; do
        [ "$waited" -ge "$TIMEOUT" ] && { show_log_tail "$run"; $cleanup; die "no pid file after ${TIMEOUT}s"; }
        sleep 1
        waited=$((waited + 1))
    done
    pid="$(cat "$run/es.pid")"
    echo "$pid" >"$STATE/pid"
    until healthy "$url"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            show_log_tail "$run"
            $cleanup
            die "the node (pid $pid) exited during start-up"
        fi
        if [ "$waited" -ge "$TIMEOUT" ]; then
            show_log_tail "$run"
            kill "$pid" 2>/dev/null || true
            sleep 5
            $cleanup
            die "cluster not yellow at $url after ${TIMEOUT}s"
        fi
        sleep 1
        waited=$((waited + 1))
    done
    log "ready (pid $pid); export VEILLEUSE_TEST_ES_URL=$url"
    echo "$url"
}

cmd_stop() {
    local pid
    if ! pid="$(live_pid)"; then
        log "no node running from $STATE"
        clear_state
        return 0
    fi
    log "stopping pid $pid"
    kill -TERM "$pid"
    for _ in $(seq 60); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "pid $pid did not stop in 30s: killing it"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 1
    fi
    clear_state
    log "stopped"
}

cmd_status() {
    local pid
    pid="$(live_pid)" || { log "not running"; return 1; }
    local url
    url="$(cat "$STATE/url")"
    healthy "$url" || { log "pid $pid is running but $url is not healthy"; return 1; }
    echo "$url"
}

case "${1:-}" in
start) cmd_start ;;
resume) cmd_resume ;;
stop) cmd_stop ;;
status | url) cmd_status ;;
fetch) fetch_zip && unpack "$(es_home)" && echo "$(es_home)" ;;
*) echo "usage: $0 start|stop|status|resume|fetch" >&2; exit 2 ;;
esac
