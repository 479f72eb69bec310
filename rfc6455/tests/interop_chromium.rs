//! Headless Chromium as a client: the browser's own `WebSocket`, from a page that our
//! server serves on the same port (`ServerOptions::fallback` with `StaticFiles` over
//! `tests/interop/chromium/`), against our echo endpoint `/echo`.
//!
//! The page (`interop.js`) sends text and binary (`ArrayBuffer`) messages of every size of
//! [`SIZES`] and checks the echoes, receives messages we send in fragments, is pinged,
//! negotiates subprotocols (chat chosen from two offered; none offered; an offer we do
//! not speak, which Chromium refuses when our 101 names none), closes with 4000 and a
//! reason, and sees our close with 4000 and a reason. The driver `tests/interop/chromium_client.mjs` (playwright-core, Debian's
//! `/usr/bin/chromium`) prints each of the page's checks; our handler reports what it saw
//! (subprotocol, close code and reason) through a channel.
//!
//! Needs `/usr/bin/chromium`, `node` and playwright-core in `tests/browser/node_modules`
//! (all installed by `scripts/install-peers.sh`); any missing fails the test.

mod support;

use std::time::Duration;

use rfc6455::StaticFiles;

use support::interop::{echo_server, reports};
use support::peers::{run_chromium_page, workspace_root};
use support::server::local;

/// The bound on the whole browser run (start, page, every check, close).
const TIMEOUT: Duration = Duration::from_secs(120);

/// The message sizes of the matrix (UTF-8 bytes for text): the edges of the 7-, 16- and
/// 64-bit length encodings, 1 MiB, and 16 MiB (the default frame limit).
const SIZES: [usize; 8] = [0, 1, 125, 126, 65_535, 65_536, 1 << 20, 16 << 20];

#[tokio::test]
async fn chromium_client_matrix() {
    // Our echo server ([`echo_server`]) on `/echo`, with its commands (`close-me`,
    // `ping-me:<payload>`, `fragments-me:<n>`), and the page on the same port.
    let page = workspace_root().join("tests/interop/chromium");
    let (server, mut rx) =
        echo_server(local().fallback(StaticFiles::new(page)), Some("/echo")).await;

    let sizes: Vec<String> = SIZES.iter().map(usize::to_string).collect();
    let url = format!("http://{}/?sizes={}", server.local_addr(), sizes.join(","));
    let stdout = run_chromium_page(
        "the Chromium interop test",
        &url,
        "rfc6455-interop-chromium.png",
        TIMEOUT,
    )
    .await;
    println!("{stdout}");

    // Every check of the page ran and passed.
    let mut checks: Vec<String> = [
        "subprotocol-chat",
        "received-fragmented-text",
        "received-fragmented-binary",
        "server-ping",
        "after-ping",
        "browser-close-4000",
        "subprotocol-none-offered",
        "server-close-4000",
        "subprotocol-none-shared-refused",
        "plain-echo",
        "browser-close-1000",
    ]
    .map(str::to_owned)
    .to_vec();
    for size in SIZES {
        checks.push(format!("text-{size}"));
        checks.push(format!("binary-{size}"));
    }
    for check in &checks {
        assert!(
            stdout.lines().any(|l| l == format!("OK {check}")),
            "no `OK {check}` in\n{stdout}"
        );
    }

    // What our side saw, one report per connection.
    let reports = reports(&mut rx, 4, TIMEOUT).await;
    let find = |code: u16, subprotocol: Option<&str>| {
        reports
            .iter()
            .find(|r| r.close_code == Some(code) && r.subprotocol.as_deref() == subprotocol)
            .unwrap_or_else(|| panic!("no connection with {code} and {subprotocol:?}: {reports:?}"))
    };
    // The browser's close: 4000 and its reason, offered superchat and chat, got chat.
    let first = find(4000, Some("chat"));
    assert_eq!(first.close_reason, "browser says bye", "{first:?}");
    assert_eq!(first.peer_closed_first, Some(true), "{first:?}");
    assert_eq!(first.error, None, "{first:?}");
    // Two per size, the fragments command, the ping command, the message after it.
    assert_eq!(first.messages, 2 * SIZES.len() + 3, "{first:?}");
    // Our close: the browser answers with our code (and reason).
    let second = find(4000, None);
    assert_eq!(second.peer_closed_first, Some(false), "{second:?}");
    assert_eq!(second.error, None, "{second:?}");
    // Offered only superchat: our 101 names no subprotocol, and Chromium fails the
    // connection at once — we see it end without a close frame.
    let refused = find(1006, None);
    assert_eq!(refused.messages, 0, "{refused:?}");
    assert_eq!(refused.peer_closed_first, None, "{refused:?}");
    // A plain connection: the browser's normal close.
    let plain = find(1000, None);
    assert_eq!(plain.peer_closed_first, Some(true), "{plain:?}");
    assert_eq!(plain.error, None, "{plain:?}");
    assert_eq!(plain.messages, 1, "{plain:?}");

    server.stop().await;
}
