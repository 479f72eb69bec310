#!/usr/bin/env bash
# Run the fuzz targets of fuzz/ (cargo-fuzz, libFuzzer) from their committed seeds.
#
#   scripts/fuzz.sh                  every target, 30 s each
#   scripts/fuzz.sh TARGET [SECONDS] one target
#   scripts/fuzz.sh all SECONDS      every target, SECONDS each
#
# Needs `cargo install cargo-fuzz`. Runs on the stable toolchain without a sanitizer
# (`--sanitizer none`: AddressSanitizer needs nightly, and the library's only unsafe code
# calls safe code compiled for AVX2 after checking the CPU has it, no memory access for it
# to watch); every target asserts its own oracle. New inputs go to fuzz/corpus/TARGET
# (not committed); a failing input goes to fuzz/artifacts/TARGET and fails the run.
# Reproduce one with: cargo fuzz run --sanitizer none TARGET fuzz/artifacts/TARGET/crash-…
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT/fuzz"

target="${1:-all}"
seconds="${2:-30}"
# `cargo fuzz list` reads the [[bin]] entries of fuzz/Cargo.toml.
if [[ "$target" == all ]]; then
    mapfile -t targets < <(cargo fuzz list)
else
    targets=("$target")
fi

# Overflow checks and debug assertions on: an arithmetic overflow is a finding too.
FLAGS=(--sanitizer none --debug-assertions)
cargo fuzz build "${FLAGS[@]}"
for t in "${targets[@]}"; do
    echo "== fuzz $t for ${seconds}s"
    mkdir -p "corpus/$t"
    log="$(mktemp)"
    # -max_len: the largest input libFuzzer makes; -print_final_stats gives execs and execs/s.
    status=0
    cargo fuzz run "${FLAGS[@]}" "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$log" 2>&1 || status=$?
    if [[ "$status" != 0 ]]; then
        tail -n 60 "$log" >&2
        rm -f "$log"
        echo "fuzz target $t FAILED (the input is in fuzz/artifacts/$t)" >&2
        exit "$status"
    fi
    grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' "$log" || true
    rm -f "$log"
done
echo "== fuzz: every target passed"
