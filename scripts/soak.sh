#!/usr/bin/env bash
# The long soak: CONNECTIONS concurrent connections (default 19 000) with echo traffic
# for SECONDS (default 600) against rfc6455's server, in two processes (each connection
# needs a descriptor on both sides; this machine allows 20 000 per process): the server is
# the `autobahn-server` example (one worker thread), the clients `bench`'s `soak` binary,
# which watches the server's memory and descriptors and exits non-zero on a lost or
# corrupted message, memory growth after warm-up, or descriptors left open.
#
#   scripts/soak.sh [CONNECTIONS] [SECONDS]
#
# The 5 000-connection, 60-second version runs in CI as rfc6455/tests/soak.rs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CONNECTIONS="${1:-19000}"
SECONDS_="${2:-600}"
PORT="${SOAK_PORT:-9311}"

echo "== building the server (autobahn-server example) and the soak clients"
cargo build --release -q -p rfc6455 --example autobahn-server
(cd bench && cargo build --release -q --bin soak)

ulimit -n "$(ulimit -Hn)"
./target/release/examples/autobahn-server --port "$PORT" --threads 1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    sleep 0.1
done

echo "== $CONNECTIONS connections for $SECONDS_ s against pid $SERVER on port $PORT"
./bench/target/release/soak --port "$PORT" --server-pid "$SERVER" \
    --connections "$CONNECTIONS" --seconds "$SECONDS_"
