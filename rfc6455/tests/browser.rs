//! A real browser: Debian's `chromium`, headless, driven by playwright-core
//! (`tests/browser/browser-test.mjs`), loads the page that the `demo-server` example serves
//! and the test reads the exchange back from the page's DOM and console:
//! "Hi there" answered, ten messages, "goodbye" sent, "Goodbye!" received, the close
//! (1000, clean) — with and without the subprotocol `subprotocol`, a refused subprotocol,
//! and the page opened from the file system.
//!
//! Needs `/usr/bin/chromium`, `node` and `tests/browser/node_modules` (all installed by
//! `scripts/install-peers.sh`); any of them missing fails the test, it never skips.
//! Screenshots go to `$TMPDIR/rfc6455-browser-*.png`.

mod support;

use std::time::Duration;

use tokio::process::Command;
use tokio::sync::Semaphore;

use support::peers::{self, Peer, chromium_driver, static_dir};

/// At most two browsers at once on a two-core machine.
static BROWSERS: Semaphore = Semaphore::const_new(2);

/// Start the demo server, run the driver with `args` (plus `--url` unless given), and
/// return its output after checking that it passed.
async fn run_browser(name: &str, args: &[&str], file_page: bool) -> String {
    let script = chromium_driver("the browser test", "tests/browser/browser-test.mjs");
    let mut server = Peer::example("demo-server", &["--port", "0"]);
    let line = server.line_with("Open http://localhost:").await;
    let port = Peer::port_from(&line);
    let _slot = BROWSERS.acquire().await.expect("semaphore");
    let screenshot = std::env::temp_dir().join(format!("rfc6455-browser-{name}.png"));
    let mut command = Command::new("node");
    command.arg(&script);
    if file_page {
        let page = static_dir().join("client.html");
        command
            .arg("--url")
            .arg(format!("file://{}", page.display()))
            .arg("--ws")
            .arg(format!("ws://127.0.0.1:{port}/test"));
    } else {
        command
            .arg("--url")
            .arg(format!("http://127.0.0.1:{port}/"));
    }
    command.args(args).arg("--screenshot").arg(&screenshot);
    let what = format!("browser test {name}");
    let output = peers::run(command, &what, Duration::from_secs(120)).await;
    output.assert_passed(
        &what,
        |l| l.starts_with("PASS: "),
        &format!("screenshot: {}", screenshot.display()),
    );
    println!("{}", output.stdout);
    output.stdout
}

#[tokio::test]
async fn browser_shows_the_exchange_without_subprotocol() {
    let out = run_browser("plain", &[], false).await;
    // The driver's JSON: the page's own list, read from its DOM.
    assert!(
        out.contains(r#""text":"Connected (subprotocol: none)""#),
        "{out}"
    );
    assert!(
        out.contains(r#"Received #1: You said: \"Hi there\""#),
        "{out}"
    );
    assert!(out.contains(r#""text":"Received #10: "#), "{out}");
    assert!(out.contains(r#""text":"Sent: goodbye""#), "{out}");
    assert!(out.contains(r#": Goodbye!""#), "{out}");
    assert!(
        out.contains(r#""text":"Closed: code 1000 (clean)""#),
        "{out}"
    );
}

#[tokio::test]
async fn browser_shows_the_exchange_with_subprotocol() {
    let out = run_browser("subprotocol", &["--protocol", "subprotocol"], false).await;
    assert!(
        out.contains(r#""text":"Connected (subprotocol: subprotocol)""#),
        "{out}"
    );
    assert!(
        out.contains(r#""text":"Received #1: This is the subprotocol handler""#),
        "{out}"
    );
    assert!(
        out.contains(r#""text":"Closed: code 1000 (clean)""#),
        "{out}"
    );
}

#[tokio::test]
async fn browser_sees_an_unserved_subprotocol_refused() {
    let out = run_browser(
        "refused",
        &["--protocol", "other", "--expect", "refused"],
        false,
    )
    .await;
    assert!(out.contains("Closed: code 1006"), "{out}");
}

#[tokio::test]
async fn browser_page_works_opened_from_the_file_system() {
    let out = run_browser("file", &[], true).await;
    assert!(
        out.contains(r#""text":"Closed: code 1000 (clean)""#),
        "{out}"
    );
}
