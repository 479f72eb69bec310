#!/usr/bin/env bash
# Install the real peers the interoperability tests run against.
#
# Idempotent: re-running it only checks that what is pinned is in place. Needs no
# network beyond the package registries (PyPI here). One function per peer; add new
# peers as new functions and call them from main.
#
#   scripts/install-peers.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Pinned versions.
WEBSOCKETS_VERSION="17.4"

VENV="$ROOT/.venv"

log() { printf 'install-peers: %s\n' "$*"; }

# Python `websockets` in $VENV (used by tests/interop/*.py and rfc6455/tests/interop_python.rs).
install_python_websockets() {
    local python="${PYTHON:-python3}"
    if [[ ! -x "$VENV/bin/python" ]]; then
        log "creating virtualenv $VENV with $("$python" --version 2>&1)"
        "$python" -m venv "$VENV"
    fi
    local have
    have="$("$VENV/bin/python" -c 'import websockets; print(websockets.__version__)' 2>/dev/null || true)"
    if [[ "$have" != "$WEBSOCKETS_VERSION" ]]; then
        log "installing websockets==$WEBSOCKETS_VERSION (had: ${have:-none})"
        "$VENV/bin/python" -m pip install --disable-pip-version-check --quiet \
            "websockets==$WEBSOCKETS_VERSION"
        have="$("$VENV/bin/python" -c 'import websockets; print(websockets.__version__)')"
    fi
    if [[ "$have" != "$WEBSOCKETS_VERSION" ]]; then
        log "ERROR: websockets $have installed, expected $WEBSOCKETS_VERSION" >&2
        return 1
    fi
    log "python websockets $have in $VENV ($("$VENV/bin/python" --version 2>&1))"
}

# Debian's chromium and playwright-core (pinned by tests/browser/package-lock.json), for
# the real-browser test rfc6455/tests/browser.rs (driver: tests/browser/browser-test.mjs).
install_browser() {
    if [[ ! -x /usr/bin/chromium ]]; then
        local sudo=""
        [[ "$(id -u)" == 0 ]] || sudo="sudo"
        log "installing Debian's chromium"
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    fi
    if [[ ! -x /usr/bin/chromium ]]; then
        log "ERROR: /usr/bin/chromium is missing after installing chromium" >&2
        return 1
    fi
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        log "ERROR: node and npm are needed for tests/browser" >&2
        return 1
    fi
    local dir="$ROOT/tests/browser" want have
    want="$(node -p 'require(process.argv[1]).packages["node_modules/playwright-core"].version' \
        "$dir/package-lock.json")"
    have="$(node -p 'require(process.argv[1]).version' \
        "$dir/node_modules/playwright-core/package.json" 2>/dev/null || true)"
    if [[ "$have" != "$want" ]]; then
        log "installing playwright-core $want in tests/browser (had: ${have:-none})"
        npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
    fi
    log "chromium: $(/usr/bin/chromium --version 2>/dev/null); playwright-core $want"
}

# Node's `ws` (pinned by tests/interop/package-lock.json), for rfc6455/tests/interop_node.rs
# (tests/interop/ws_echo_server.mjs, ws_client.mjs). The Chromium interop test
# (interop_chromium.rs) uses install_browser's chromium and playwright-core.
install_node_ws() {
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        log "ERROR: node and npm are needed for tests/interop (Node's ws)" >&2
        return 1
    fi
    local dir="$ROOT/tests/interop" want have
    want="$(node -p 'require(process.argv[1]).packages["node_modules/ws"].version' \
        "$dir/package-lock.json")"
    have="$(node -p 'require(process.argv[1]).version' \
        "$dir/node_modules/ws/package.json" 2>/dev/null || true)"
    if [[ "$have" != "$want" ]]; then
        log "installing ws $want in tests/interop (had: ${have:-none})"
        npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
        have="$(node -p 'require(process.argv[1]).version' "$dir/node_modules/ws/package.json")"
    fi
    if [[ "$have" != "$want" ]]; then
        log "ERROR: ws $have installed in tests/interop, expected $want" >&2
        return 1
    fi
    log "node $(node --version) with ws $have in tests/interop"
}

# curl, for the plain-upgrade handshake check in rfc6455/tests/handshake_wire.rs.
install_curl() {
    if ! command -v curl >/dev/null; then
        local sudo=""
        [[ "$(id -u)" == 0 ]] || sudo="sudo"
        log "installing Debian's curl"
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null
    fi
    log "$(curl --version | head -n 1)"
}

# Debian's redis-server and haproxy, for the topics backplane and cluster tests
# (rfc6455/tests/topics_redis.rs, rfc6455/tests/cluster.rs) and scripts/cluster.sh. The
# tests start their own on free loopback ports; nothing runs as a service.
install_redis_haproxy() {
    local missing=()
    command -v redis-server >/dev/null || missing+=(redis-server)
    [[ -x /usr/sbin/haproxy ]] || command -v haproxy >/dev/null || missing+=(haproxy)
    if ((${#missing[@]})); then
        local sudo=""
        [[ "$(id -u)" == 0 ]] || sudo="sudo"
        log "installing Debian's ${missing[*]}"
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    log "$(redis-server --version | cut -d' ' -f1-3); $(/usr/sbin/haproxy -v | head -n 1 | cut -d' ' -f1-3)"
}

main() {
    install_python_websockets
    install_browser
    install_node_ws
    install_curl
    install_redis_haproxy
    # Later peers get their own install_* function, called here.
}

main "$@"
