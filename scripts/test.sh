#!/usr/bin/env bash
# The test command: installs the interoperability peers, then runs every test of the
# workspace (unit, integration — including the real-peer interop tests — examples,
# benches as tests) and the doc tests. Exits non-zero if any test fails (every test
# binary still runs, so one run shows every failure; doc tests run once those pass).
#
#   scripts/test.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/install-peers.sh

echo "== cargo test --workspace --all-targets --all-features --no-fail-fast"
cargo test --workspace --all-targets --all-features --no-fail-fast

echo "== cargo test --workspace --all-features --doc"
cargo test --workspace --all-features --doc

echo "== all tests passed"
