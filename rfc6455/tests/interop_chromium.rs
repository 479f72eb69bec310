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

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use rfc6455::{
    CloseCode, DataKind, Handshake, Message, Rejection, ServerOptions, StaticFiles, WebSocket,
    serve_with,
};
use tokio::sync::mpsc;
use tokio::time::timeout;

/// The bound on the whole browser run (start, page, every check, close).
const TIMEOUT: Duration = Duration::from_secs(120);

/// The message sizes of the matrix (UTF-8 bytes for text): the edges of the 7-, 16- and
/// 64-bit length encodings, 1 MiB, and 16 MiB (the default frame limit).
const SIZES: [usize; 8] = [0, 1, 125, 126, 65_535, 65_536, 1 << 20, 16 << 20];

const CHROMIUM: &str = "/usr/bin/chromium";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate lives in the workspace")
        .to_path_buf()
}

/// The driver script, after checking that everything it needs is installed.
fn driver() -> PathBuf {
    let root = workspace_root();
    let missing = |what: &str| -> ! {
        panic!(
            "the Chromium interop test needs {what}; run scripts/install-peers.sh \
             (apt-get install chromium; npm ci --prefix tests/browser)"
        )
    };
    if !Path::new(CHROMIUM).is_file() {
        missing(&format!("Debian's chromium at {CHROMIUM}"));
    }
    if std::process::Command::new("node")
        .arg("--version")
        .output()
        .map_or(true, |o| !o.status.success())
    {
        missing("node");
    }
    if !root
        .join("tests/browser/node_modules/playwright-core/package.json")
        .is_file()
    {
        missing("playwright-core in tests/browser/node_modules");
    }
    let script = root.join("tests/interop/chromium_client.mjs");
    assert!(script.is_file(), "{} is missing", script.display());
    script
}

/// What our handler saw on one connection.
#[derive(Debug)]
struct Report {
    subprotocol: Option<String>,
    messages: usize,
    close_code: Option<u16>,
    close_reason: String,
    peer_closed_first: Option<bool>,
    error: Option<String>,
}

/// The echo handler and its commands (`close-me`, `ping-me:<payload>`,
/// `fragments-me:<n>`); returns whether to go on.
async fn answer(ws: &mut WebSocket, message: Message) -> Result<bool, rfc6455::Error> {
    let text = message.as_text().unwrap_or_default();
    if text == "close-me" {
        ws.close(CloseCode::from(4000), "server says bye").await?;
        return Ok(false);
    }
    if let Some(payload) = text.strip_prefix("ping-me:") {
        let payload = payload.to_owned();
        ws.ping(payload.as_bytes()).await?;
        ws.send_text(&format!("PINGED:{payload}")).await?;
    } else if let Some(n) = text.strip_prefix("fragments-me:") {
        let n: usize = n.parse().unwrap_or(1);
        for i in 0..n {
            let part = if i + 1 < n {
                format!("fragment {i}|")
            } else {
                format!("fragment {i}")
            };
            let kind = (i == 0).then_some(DataKind::Text);
            ws.send_fragment(kind, part.as_bytes(), i + 1 == n).await?;
        }
        for i in 0..n {
            let kind = (i == 0).then_some(DataKind::Binary);
            ws.send_fragment(kind, &[(i % 256) as u8], i + 1 == n)
                .await?;
        }
    } else {
        ws.send(message).await?;
    }
    Ok(true)
}

async fn echo(mut ws: WebSocket, reports: mpsc::UnboundedSender<Report>) {
    let mut messages = 0;
    let mut error = None;
    while let Some(result) = ws.recv().await {
        match result {
            Ok(message) => {
                messages += 1;
                match answer(&mut ws, message).await {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => {
                        error = Some(format!("send: {e}"));
                        break;
                    }
                }
            }
            Err(e) => {
                error = Some(format!("recv: {e}"));
                break;
            }
        }
    }
    let _ = reports.send(Report {
        subprotocol: ws.subprotocol().map(str::to_owned),
        messages,
        close_code: ws.close_code().map(CloseCode::as_u16),
        close_reason: ws.close_reason().to_owned(),
        peer_closed_first: ws.peer_closed_first(),
        error,
    });
}

#[tokio::test]
async fn chromium_client_matrix() {
    let script = driver();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let page = workspace_root().join("tests/interop/chromium");
    let options = ServerOptions::default()
        .listen_addr([127, 0, 0, 1].into())
        .port(0)
        .fallback(StaticFiles::new(page));
    let server = serve_with(
        options,
        |hs: &mut Handshake<'_>| {
            if hs.request().uri().path() != "/echo" {
                return Err(Rejection::from(http::StatusCode::NOT_FOUND));
            }
            hs.accept_subprotocol("chat");
            Ok(())
        },
        move |ws, ()| echo(ws, tx.clone()),
    )
    .await
    .expect("our server listens");

    let sizes: Vec<String> = SIZES.iter().map(usize::to_string).collect();
    let url = format!("http://{}/?sizes={}", server.local_addr(), sizes.join(","));
    let screenshot = std::env::temp_dir().join("rfc6455-interop-chromium.png");
    let child = tokio::process::Command::new("node")
        .arg(&script)
        .arg("--url")
        .arg(&url)
        .arg("--timeout-ms")
        .arg((TIMEOUT.as_millis() - 15_000).to_string())
        .arg("--screenshot")
        .arg(&screenshot)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start node");
    let output = timeout(TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("the Chromium run did not finish within {TIMEOUT:?}"))
        .expect("node ran");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.lines().any(|l| l.starts_with("PASS chromium")),
        "the Chromium run failed ({}):\n--- stdout\n{stdout}--- stderr\n{stderr}\
         screenshot: {}",
        output.status,
        screenshot.display()
    );
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
    let mut reports = Vec::new();
    for _ in 0..4 {
        let report = timeout(TIMEOUT, rx.recv())
            .await
            .expect("our handler reports each connection")
            .expect("the server is running");
        reports.push(report);
    }
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
