#!/usr/bin/env bash
# Run the Autobahn|Testsuite against this library in both roles and fail unless every case
# is OK or INFORMATIONAL (NON-STRICT, UNIMPLEMENTED and FAILED all fail), with
# behaviorClose OK or INFORMATIONAL everywhere.
#
#   scripts/autobahn.sh                          # every case (517), both roles, at once
#   AUTOBAHN_EXCLUDE='12.*,13.*' scripts/autobahn.sh   # without the compression cases
#
# Uses ../shared/tools/autobahn (wstest on Python 3); reports go to reports/autobahn/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
tools="${AUTOBAHN_TOOLS:-$root/../shared/tools/autobahn}"
out="$root/reports/autobahn"
exclude="${AUTOBAHN_EXCLUDE-}"
cases="${AUTOBAHN_CASES:-*}"
server_port="${AUTOBAHN_SERVER_PORT:-9002}"
client_port="${AUTOBAHN_CLIENT_PORT:-9001}"

if [ ! -d "$tools" ]; then
  echo "autobahn: $tools not found (the Autobahn scripts live in shared/tools/autobahn)" >&2
  exit 2
fi
rm -rf "$out" && mkdir -p "$out"
cargo build --release -p rfc6455 --example autobahn-server --example autobahn-client

# Set the testsuite up once, before the two roles start at the same time.
venv="${AUTOBAHN_VENV:-$HOME/.cache/autobahn-venv}"
if [ ! -x "$venv/bin/wstest" ]; then
  bash "$tools/setup.sh" "$venv"
fi

# The two roles run at the same time: each is one single-threaded wstest process, mostly
# waiting on round trips (12.* and 13.* send 1000 messages per case), so on two cores
# they overlap and the step takes about as long as the slower role.

# --- server role: wstest's fuzzing client against our echo server
./target/release/examples/autobahn-server --port "$server_port" >"$out/server.log" 2>&1 &
server_pid=$!
fuzz_pid=
trap 'kill $server_pid $fuzz_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$server_port") 2>/dev/null && break
  sleep 0.1
done
bash "$tools/test-server.sh" -o "$out/server" -x "$exclude" "ws://127.0.0.1:$server_port" "$cases" \
  >"$out/server-role.log" 2>&1 &
fuzz_pid=$!

# --- client role: our client against wstest's fuzzing server
bash "$tools/test-client.sh" -o "$out/client" -x "$exclude" -c "$cases" "$client_port" \
  "$root/target/release/examples/autobahn-client \"\$AUTOBAHN_URL\" rfc6455" || true

wait "$fuzz_pid" || true
cat "$out/server-role.log"
kill "$server_pid" 2>/dev/null || true

# --- strict verdict and a results table
"${AUTOBAHN_VENV:-$HOME/.cache/autobahn-venv}/bin/python" - "$out" <<'PY'
import json, sys, collections, os
out = sys.argv[1]
ok = {"OK", "INFORMATIONAL"}
failed = False
rows = []
for role in ("server", "client"):
    path = os.path.join(out, role, "index.json")
    if not os.path.exists(path):
        print(f"autobahn: no report for the {role} role ({path})")
        failed = True
        continue
    index = json.load(open(path))
    for agent, cases in index.items():
        verdicts = collections.Counter(c["behavior"] for c in cases.values())
        close = collections.Counter(c["behaviorClose"] for c in cases.values())
        bad = sorted(k for k, c in cases.items() if c["behavior"] not in ok or c["behaviorClose"] not in ok)
        if not cases or bad:
            failed = True
        rows.append((role, len(cases), dict(verdicts), dict(close), bad))
print()
print("| role | cases | behavior | behaviorClose | not OK |")
print("|---|---|---|---|---|")
for role, n, v, c, bad in rows:
    fmt = lambda d: ", ".join(f"{k} {d[k]}" for k in sorted(d))
    print(f"| {role} | {n} | {fmt(v)} | {fmt(c)} | {' '.join(bad) or 'none'} |")
print()
print("AUTOBAHN:", "FAIL" if failed else "PASS (every case OK or INFORMATIONAL)")
sys.exit(1 if failed else 0)
PY
