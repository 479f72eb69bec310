#!/usr/bin/env bash
# The real-browser test on its own: makes sure Debian's chromium and playwright-core are
# installed (scripts/install-peers.sh), then runs rfc6455/tests/browser.rs, which starts
# the demo-server example on a free port and drives headless chromium through
# tests/browser/browser-test.mjs against its page (with and without a subprotocol, a
# refused subprotocol, and the page opened from the file system). The full test run
# (scripts/test.sh) runs the same test; this is for working on the page.
#
#   scripts/browser-test.sh            # screenshots: ${TMPDIR:-/tmp}/rfc6455-browser-*.png
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/install-peers.sh
cargo test -p rfc6455 --test browser -- --nocapture
