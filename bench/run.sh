#!/usr/bin/env bash
# The one command of the benchmark: builds everything and runs `compare`.
#   bench/run.sh            full run (3 rounds × 3 s, then callgrind: ~30 min; installs valgrind if missing)
#   bench/run.sh --quick    smoke run (1 round × 1 s: ~7 min)
#   bench/run.sh --readme   run nothing: copy bench/results/latest.md's summary into README.md
#   bench/run.sh --help     all options (--servers, --scenarios, --rounds, ...)
# Results: printed tables, bench/results/latest.md and bench/results/latest.svg, and the
# summary table in README.md between `<!-- bench:begin -->` and `<!-- bench:end -->`
# (unless --out sends the report elsewhere).
set -euo pipefail
cd "$(dirname "$0")"
case " $* " in
*" --readme "*)
    cargo build --release --bin compare --quiet
    ;;
*)
    # 10 000 idle connections need more than the default 1024 descriptors.
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    # Instructions per message come from valgrind's callgrind (Debian's package).
    case " $* " in
    *" --no-callgrind "*) ;;
    *)
        if ! command -v valgrind >/dev/null 2>&1; then
            sudo=()
            ((EUID == 0)) || sudo=(sudo)
            "${sudo[@]}" apt-get update -q
            DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q valgrind
        fi
        ;;
    esac
    cargo build --release --bins --quiet
    ;;
esac
exec ./target/release/compare "$@"
