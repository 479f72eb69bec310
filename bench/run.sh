#!/usr/bin/env bash
# The one command of the benchmark: builds everything and runs `compare`.
#   bench/run.sh            full run (3 rounds × 3 s, ~10 min)
#   bench/run.sh --quick    smoke run (1 round × 1 s, ~1.5 min)
#   bench/run.sh --help     all options (--servers, --scenarios, --rounds, ...)
# Results: printed tables, bench/results/latest.md and bench/results/latest.svg.
set -euo pipefail
cd "$(dirname "$0")"
# 10 000 idle connections need more than the default 1024 descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
cargo build --release --bins --quiet
exec ./target/release/compare "$@"
