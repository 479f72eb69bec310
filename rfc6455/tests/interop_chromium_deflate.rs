//! Headless Chromium with permessage-deflate: the page of the Chromium interop test,
//! against our echo endpoint with compression on. The page checks that
//! `WebSocket.extensions` names what our server answered, that every size of the matrix
//! and a large compressible JSON message round-trip, then runs its other checks. Needs what
//! `interop_chromium` needs (a missing browser or driver fails the test).

mod support;

use std::time::Duration;

use rfc6455::{DeflateConfig, StaticFiles};

use support::interop::echo_server;
use support::peers::{run_chromium_page, workspace_root};
use support::server::local;

const TIMEOUT: Duration = Duration::from_secs(120);

/// What Chromium offers (`permessage-deflate; client_max_window_bits`) answered by our
/// server with its defaults.
const ANSWER: &str = "permessage-deflate; client_max_window_bits=15";

#[tokio::test]
async fn chromium_negotiates_permessage_deflate() {
    let page = workspace_root().join("tests/interop/chromium");
    let options = local()
        .fallback(StaticFiles::new(page))
        .compression(Some(DeflateConfig::default()));
    let (server, _rx) = echo_server(options, Some("/echo")).await;
    let sizes = "0,1,125,126,65535,65536,1048576";
    let extensions = ANSWER
        .replace(';', "%3B")
        .replace(' ', "%20")
        .replace('=', "%3D");
    let url = format!(
        "http://{}/?sizes={sizes}&extensions={extensions}",
        server.local_addr()
    );
    let stdout = run_chromium_page(
        "the Chromium deflate test",
        &url,
        "rfc6455-interop-chromium-deflate.png",
        TIMEOUT,
    )
    .await;
    let mut checks = vec!["extensions".to_owned(), "compressible-json".to_owned()];
    for size in sizes.split(',') {
        checks.push(format!("text-{size}"));
        checks.push(format!("binary-{size}"));
    }
    for check in &checks {
        assert!(
            stdout.lines().any(|l| l == format!("OK {check}")),
            "no `OK {check}` in\n{stdout}"
        );
    }
    server.stop().await;
}
