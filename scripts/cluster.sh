#!/usr/bin/env bash
# A chat cluster on this machine: Redis, three `chat` nodes (rfc6455/examples/chat.rs)
# and HAProxy in front of them (deploy/haproxy.cfg), all on loopback.
#
#   scripts/cluster.sh up       # build, start everything, print the URL to open
#   scripts/cluster.sh down     # stop everything (the nodes close their clients with 1001)
#   scripts/cluster.sh status   # what runs
#
# Ports: CLUSTER_PORT (HAProxy, 8090), CLUSTER_NODE_PORTS ("8091 8092 8093"),
# CLUSTER_REDIS_PORT (6390); CLUSTER_RELEASE=1 builds the nodes in release mode (for
# measurements: scripts/cluster.sh and fanout-bench --connect). Needs Debian's redis-server and haproxy,
# and installs them with apt-get when they are missing. Logs and pid files: target/cluster/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
state="$root/target/cluster"
port="${CLUSTER_PORT:-8090}"
read -r -a node_ports <<<"${CLUSTER_NODE_PORTS:-8091 8092 8093}"
redis_port="${CLUSTER_REDIS_PORT:-6390}"
haproxy_bin="$(command -v haproxy || echo /usr/sbin/haproxy)"

log() { printf 'cluster: %s\n' "$*"; }

running() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Wait up to 10 s for `curl` to get a 200 from $1.
await_http() {
    for _ in $(seq 100); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    log "ERROR: $1 does not answer (logs in $state)" >&2
    return 1
}

# Debian's redis-server and haproxy, installed when missing (as scripts/install-peers.sh does).
ensure_packages() {
    local missing=()
    command -v redis-server >/dev/null || missing+=(redis-server)
    [[ -x "$haproxy_bin" ]] || missing+=(haproxy)
    ((${#missing[@]})) || return 0
    local sudo=()
    ((EUID == 0)) || sudo=(sudo)
    log "installing Debian's ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    haproxy_bin="$(command -v haproxy || echo /usr/sbin/haproxy)"
    command -v redis-server >/dev/null || { log "ERROR: no redis-server after installing it" >&2; exit 1; }
    [[ -x "$haproxy_bin" ]] || { log "ERROR: no haproxy after installing it" >&2; exit 1; }
}

up() {
    ensure_packages
    mkdir -p "$state"
    local profile=debug release=()
    if [[ "${CLUSTER_RELEASE:-0}" == 1 ]]; then profile=release release=(--release); fi
    log "building the chat example ($profile)"
    cargo build -q "${release[@]}" -p rfc6455 --features redis --example chat
    local chat="$root/target/$profile/examples/chat"

    if ! running "$state/redis.pid"; then
        redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
            >"$state/redis.log" 2>&1 &
        echo $! >"$state/redis.pid"
        for _ in $(seq 100); do
            grep -q "Ready to accept connections" "$state/redis.log" && break
            sleep 0.1
        done
        log "redis on 127.0.0.1:$redis_port"
    fi
    local i=0 env=()
    for node_port in "${node_ports[@]}"; do
        i=$((i + 1))
        env+=("CHAT_NODE$i=127.0.0.1:$node_port")
        if ! running "$state/node$i.pid"; then
            "$chat" --port "$node_port" --node-id "node$i" \
                --redis "redis://127.0.0.1:$redis_port/" >"$state/node$i.log" 2>&1 &
            echo $! >"$state/node$i.pid"
        fi
        await_http "http://127.0.0.1:$node_port/node"
        log "node$i on 127.0.0.1:$node_port"
    done
    if ! running "$state/haproxy.pid"; then
        env "CHAT_BIND=127.0.0.1:$port" "${env[@]}" \
            "$haproxy_bin" -db -f "$root/deploy/haproxy.cfg" >"$state/haproxy.log" 2>&1 &
        echo $! >"$state/haproxy.pid"
    fi
    await_http "http://127.0.0.1:$port/node"
    log "haproxy on 127.0.0.1:$port (leastconn over ${#node_ports[@]} nodes)"
    echo
    echo "Open http://localhost:$port/ (a room per ?room=NAME; GET /node tells where you landed)"
}

down() {
    # The nodes first (SIGTERM: each closes its clients with 1001), then HAProxy and Redis.
    local name pid
    for name in node1 node2 node3 haproxy redis; do
        if running "$state/$name.pid"; then
            pid=$(cat "$state/$name.pid")
            kill -TERM "$pid"
            for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
            log "stopped $name"
        fi
        rm -f "$state/$name.pid"
    done
}

status() {
    local name
    for name in redis node1 node2 node3 haproxy; do
        if running "$state/$name.pid"; then log "$name: running (pid $(cat "$state/$name.pid"))"; else log "$name: stopped"; fi
    done
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
