//! Headless Chromium opening its WebSockets over HTTP/2 (RFC 8441): the interop page
//! (`tests/interop/chromium/`) served by our server over `https://` — a certificate made
//! at test time, which Chromium is told to trust by its public key — so the browser
//! speaks HTTP/2 to the server (ALPN `h2`), sees `SETTINGS_ENABLE_CONNECT_PROTOCOL`, and
//! opens every `wss://` WebSocket of the page as a stream of that connection. The page runs
//! its whole matrix (sizes, fragments, ping, subprotocols, closes both ways); our handler
//! reports each connection, and every one must have arrived over HTTP/2.
//!
//! Needs `/usr/bin/chromium`, `node` and playwright-core in `tests/browser/node_modules`
//! (all installed by `scripts/install-peers.sh`); any missing fails the test.

mod support;

use std::time::Duration;

use http::Version;
use rfc6455::StaticFiles;

use support::interop::{echo_server, reports};
use support::peers::{run_chromium_page_trusting, workspace_root};
use support::server::local;
use support::tls::Pki;

/// The bound on the whole browser run (start, page, every check, close).
const TIMEOUT: Duration = Duration::from_secs(120);

/// The message sizes (UTF-8 bytes for text): the edges of the length encodings and 1 MiB.
const SIZES: [usize; 7] = [0, 1, 125, 126, 65_535, 65_536, 1 << 20];

#[tokio::test]
async fn chromium_opens_its_websockets_as_http2_streams() {
    let pki = Pki::new();
    let page = workspace_root().join("tests/interop/chromium");
    let options = local()
        .tls(pki.server_tls())
        .fallback(StaticFiles::new(page));
    let (server, mut rx) = echo_server(options, Some("/echo")).await;

    let sizes: Vec<String> = SIZES.iter().map(usize::to_string).collect();
    let url = format!(
        "https://localhost:{}/?sizes={}",
        server.local_addr().port(),
        sizes.join(",")
    );
    let stdout = run_chromium_page_trusting(
        "the Chromium HTTP/2 interop test",
        &url,
        "rfc6455-interop-chromium-http2.png",
        TIMEOUT,
        Some(&pki.cert_file()),
    )
    .await;
    println!("{stdout}");
    for size in SIZES {
        for kind in ["text", "binary"] {
            let check = format!("OK {kind}-{size}");
            assert!(
                stdout.lines().any(|l| l == check),
                "no `{check}` in\n{stdout}"
            );
        }
    }
    for check in [
        "browser-close-4000",
        "server-close-4000",
        "browser-close-1000",
    ] {
        assert!(
            stdout.lines().any(|l| l == format!("OK {check}")),
            "no `OK {check}` in\n{stdout}"
        );
    }

    // Every WebSocket of the page reached our handler over HTTP/2.
    let reports = reports(&mut rx, 4, TIMEOUT).await;
    for report in &reports {
        assert_eq!(report.http_version, Version::HTTP_2, "{report:?}");
    }
    let clean = |code: u16| {
        reports
            .iter()
            .find(|r| r.close_code == Some(code) && r.error.is_none())
            .unwrap_or_else(|| panic!("no clean close with {code}: {reports:?}"))
    };
    // The browser's close with 4000 after the whole matrix, and its normal close.
    let first = clean(4000);
    assert_eq!(first.subprotocol.as_deref(), Some("chat"), "{first:?}");
    assert_eq!(first.messages, 2 * SIZES.len() + 3, "{first:?}");
    assert_eq!(clean(1000).messages, 1);
    server.stop().await;
}
