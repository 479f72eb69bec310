//! Interoperability with Node's `ws` package (pinned by `tests/interop/package-lock.json`),
//! run for real as a child process, in both directions — and the message sizes of the
//! matrix that `interop_python.rs` does not send, against Python's `websockets`.
//!
//! * `node_client_*`: `tests/interop/ws_client.mjs URL SCENARIO` runs a scenario against
//!   our server, started in-process; the script asserts on its side (`OK <check>` lines,
//!   `PASS <scenario>`, exit 0) and our handler reports what it saw (messages, close code
//!   and reason, errors) through a channel.
//! * `rust_client_node_server_*`: `tests/interop/ws_echo_server.mjs` listens on a free port
//!   (it prints `PORT <n>`) and our client talks to it; the script prints
//!   `CLOSED <code> <reason>` for every connection that ends.
//! * `python_*_sizes_*`: the sizes of [`SIZES`] missing from `interop_python.rs` (0, 1 and
//!   1 MiB), with `tests/interop/ws_sizes_client.py` and `ws_echo_server.py`.
//!
//! The peers are installed by `scripts/install-peers.sh` (`npm ci` in `tests/interop`, a
//! virtualenv `.venv` with `websockets`). A missing peer fails the tests: never a skip.

mod support;

use std::time::Duration;

use rfc6455::{ClientOptions, WebSocket};
use tokio::process::Command;
use tokio::time::timeout;

use support::data::{pattern, text_pattern};
use support::interop::{
    Report, assert_closed_normally, echo_server, expect_binary, expect_text, reports,
    roundtrip_binary, roundtrip_fragmented, roundtrip_text, send_fragments_around_a_ping,
};
use support::peers::{Peer, interop_script, node, python, run_scenario};
use support::server::local;

/// Bound on every wait for a peer: a start, a message, a whole scenario.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The message sizes of the matrix, for text (UTF-8 bytes) and binary: the edges of the
/// 7-, 16- and 64-bit length encodings, 1 MiB, and 16 MiB (the default frame limit).
const SIZES: [usize; 8] = [0, 1, 125, 126, 65_535, 65_536, 1 << 20, 16 << 20];

/// The sizes of [`SIZES`] that `interop_python.rs` does not send (it has 125, 126, 65535,
/// 65536 and 16 MiB; 0 only in its own `empty` scenario, and only 0 from our client).
const PYTHON_MISSING_SIZES: [usize; 3] = [0, 1, 1 << 20];

fn sizes_arg(sizes: &[usize]) -> String {
    sizes
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

// ---------------------------------------------------------- peer client → our server

/// Run `ws_client.mjs URL SCENARIO [ARG]` against a fresh server; returns its output and
/// the reports of `connections` connections.
async fn node_client(
    scenario: &str,
    arg: Option<&str>,
    connections: usize,
) -> (String, Vec<Report>) {
    // Our server ([`echo_server`]): echoes every message, picks `chat` if offered, and
    // obeys the commands of `ws_client.mjs` (`close-me`, `ping-me:<payload>`,
    // `fragments-me:<n>`); reports each connection when it ends.
    let (server, mut rx) = echo_server(local(), None).await;
    let mut command = Command::new(node());
    command
        .arg(interop_script("ws_client.mjs"))
        .arg(format!("ws://{}/{scenario}", server.local_addr()))
        .arg(scenario)
        .args(arg);
    let stdout = run_scenario(command, "ws_client.mjs", scenario, TIMEOUT).await;
    let reports = reports(&mut rx, connections, TIMEOUT).await;
    server.stop().await;
    (stdout, reports)
}

#[tokio::test]
async fn node_client_every_size() {
    let (stdout, reports) = node_client("sizes", Some(&sizes_arg(&SIZES)), 1).await;
    assert_closed_normally(&reports);
    assert_eq!(reports[0].messages, 2 * SIZES.len());
    for size in SIZES {
        for kind in ["text", "binary"] {
            assert!(
                stdout.lines().any(|l| l == format!("OK {kind}-{size}")),
                "{stdout}"
            );
        }
    }
}

#[tokio::test]
async fn node_client_fragmented() {
    let (_, reports) = node_client("fragmented", None, 1).await;
    assert_closed_normally(&reports);
    // Four fragmented messages, the command, and the message after.
    assert_eq!(reports[0].messages, 6);
}

#[tokio::test]
async fn node_client_ping() {
    let (stdout, reports) = node_client("ping", None, 1).await;
    assert_closed_normally(&reports);
    assert_eq!(reports[0].messages, 3);
    for check in [
        "ping-text",
        "ping-empty",
        "ping-125",
        "pong-between",
        "server-ping",
    ] {
        assert!(
            stdout.lines().any(|l| l == format!("OK {check}")),
            "{stdout}"
        );
    }
}

#[tokio::test]
async fn node_client_closes_with_4000() {
    let (stdout, reports) = node_client("close", None, 1).await;
    // Our answer echoes the status code (RFC 6455 §5.5.1), without the reason.
    assert!(
        stdout
            .lines()
            .any(|l| l.trim_end() == "CLOSE_RECEIVED 4000"),
        "{stdout}"
    );
    let report = &reports[0];
    assert_eq!(report.error, None, "{report:?}");
    assert_eq!(report.close_code, Some(4000), "{report:?}");
    assert_eq!(report.close_reason, "client says bye", "{report:?}");
    assert_eq!(report.peer_closed_first, Some(true), "{report:?}");
}

#[tokio::test]
async fn node_client_server_closes_with_4000() {
    let (stdout, reports) = node_client("server-close", None, 1).await;
    assert!(
        stdout
            .lines()
            .any(|l| l == "CLOSE_RECEIVED 4000 server says bye"),
        "{stdout}"
    );
    let report = &reports[0];
    assert_eq!(report.error, None, "{report:?}");
    // ws answers with our own code and reason.
    assert_eq!(report.close_code, Some(4000), "{report:?}");
    assert_eq!(report.close_reason, "server says bye", "{report:?}");
    assert_eq!(report.peer_closed_first, Some(false), "{report:?}");
}

#[tokio::test]
async fn node_client_subprotocol() {
    let (stdout, mut reports) = node_client("subprotocol", None, 4).await;
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("OK subprotocol-none-shared")),
        "{stdout}"
    );
    // Offers chat, then superchat and chat, then nothing: chat, chat, none, each closed
    // normally. Offering only superchat (last), ws fails the connection after our 101
    // without a subprotocol: we see it end without a close frame (1006).
    let aborted = reports.pop().expect("four reports");
    assert_eq!(aborted.subprotocol, None, "{aborted:?}");
    assert_eq!(aborted.messages, 0, "{aborted:?}");
    assert_eq!(aborted.close_code, Some(1006), "{aborted:?}");
    assert_eq!(aborted.peer_closed_first, None, "{aborted:?}");
    assert_closed_normally(&reports);
    let chosen: Vec<_> = reports.iter().map(|r| r.subprotocol.as_deref()).collect();
    assert_eq!(chosen, [Some("chat"), Some("chat"), None]);
}

#[tokio::test]
async fn python_client_sizes_0_1_1_mib() {
    let (server, mut rx) = echo_server(local(), None).await;
    let mut command = Command::new(python());
    command
        .arg(interop_script("ws_sizes_client.py"))
        .arg(format!("ws://{}/", server.local_addr()))
        .arg(sizes_arg(&PYTHON_MISSING_SIZES));
    let stdout = run_scenario(command, "ws_sizes_client.py", "sizes", TIMEOUT).await;
    for size in PYTHON_MISSING_SIZES {
        assert!(stdout.contains(&format!("OK text-{size}\n")), "{stdout}");
        assert!(stdout.contains(&format!("OK binary-{size}\n")), "{stdout}");
    }
    let reports = reports(&mut rx, 1, TIMEOUT).await;
    assert_closed_normally(&reports);
    assert_eq!(reports[0].messages, 2 * PYTHON_MISSING_SIZES.len());
    server.stop().await;
}

// ---------------------------------------------------------- our client → peer server

async fn roundtrip_sizes(ws: &mut WebSocket, sizes: &[usize]) {
    for &size in sizes {
        roundtrip_text(ws, &text_pattern(0, size), TIMEOUT).await;
        roundtrip_binary(ws, &pattern(0, size), TIMEOUT).await;
    }
}

#[tokio::test]
async fn rust_client_node_server_every_size() {
    let mut server = Peer::node_echo_server(TIMEOUT).await;
    let mut ws = server.connect().await;
    roundtrip_sizes(&mut ws, &SIZES).await;
    server.close_normally(ws).await;
}

#[tokio::test]
async fn rust_client_python_server_sizes_0_1_1_mib() {
    let mut server = Peer::python_echo_server(TIMEOUT).await;
    let mut ws = server.connect().await;
    roundtrip_sizes(&mut ws, &PYTHON_MISSING_SIZES).await;
    server.close_normally(ws).await;
}

#[tokio::test]
async fn rust_client_node_server_fragmented() {
    let mut server = Peer::node_echo_server(TIMEOUT).await;
    let mut ws = server.connect().await;

    // Sent in fragments.
    roundtrip_fragmented(&mut ws, TIMEOUT).await;

    // Many fragments with a ping in the middle: ws reports the ping at once, the message
    // when it is whole.
    let whole = send_fragments_around_a_ping(&mut ws).await;
    expect_text(&mut ws, "PING:mid-message", TIMEOUT).await;
    expect_binary(&mut ws, &whole, TIMEOUT).await;

    // Received in fragments: ws sends them with `fin: false`.
    ws.send_text("fragments-me:5").await.unwrap();
    expect_text(
        &mut ws,
        "fragment 0|fragment 1|fragment 2|fragment 3|fragment 4",
        TIMEOUT,
    )
    .await;
    expect_binary(&mut ws, &[0, 1, 2, 3, 4], TIMEOUT).await;

    ws.send_text("after fragments").await.unwrap();
    expect_text(&mut ws, "after fragments", TIMEOUT).await;
    server.close_normally(ws).await;
}

#[tokio::test]
async fn rust_client_node_server_ping() {
    let mut server = Peer::node_echo_server(TIMEOUT).await;
    let mut ws = server.connect().await;
    // Our pings reach ws with their payload (it reports each as a text message after
    // answering it; our `recv` drops the pongs).
    let long = "p".repeat(125);
    for payload in ["interop-ping", "", long.as_str()] {
        ws.ping(payload.as_bytes()).await.expect("ping");
        expect_text(&mut ws, &format!("PING:{payload}"), TIMEOUT).await;
    }
    // ws pings us; our automatic pong reaches it with the same payload.
    for payload in ["from node", ""] {
        ws.send_text(&format!("ping-me:{payload}")).await.unwrap();
        expect_text(&mut ws, &format!("PONG:{payload}"), TIMEOUT).await;
    }
    ws.send_text("after ping").await.unwrap();
    expect_text(&mut ws, "after ping", TIMEOUT).await;
    server.close_normally(ws).await;
}

#[tokio::test]
async fn rust_client_node_server_closes_with_4000() {
    let mut server = Peer::node_echo_server(TIMEOUT).await;
    let mut ws = server.connect().await;
    ws.send_text("before close").await.unwrap();
    expect_text(&mut ws, "before close", TIMEOUT).await;
    server.server_closes_with_4000(ws).await;
}

#[tokio::test]
async fn rust_client_closes_node_server_with_4000() {
    let mut server = Peer::node_echo_server(TIMEOUT).await;
    let mut ws = server.connect().await;
    ws.send_text("before close").await.unwrap();
    expect_text(&mut ws, "before close", TIMEOUT).await;
    // ws answers with the same code and reason.
    server.client_closes_with_4000(ws).await;
}

#[tokio::test]
async fn rust_client_node_server_subprotocol() {
    let mut server = Peer::node_echo_server(TIMEOUT).await;
    let offers: [(&[&str], Option<&str>); 4] = [
        (&["chat"], Some("chat")),
        (&["superchat", "chat"], Some("chat")),
        (&["superchat"], None),
        (&[], None),
    ];
    for (offer, want) in offers {
        let options = ClientOptions::default().subprotocols(offer.iter().copied());
        let (mut ws, response) = timeout(TIMEOUT, rfc6455::connect_with(&server.url(), options))
            .await
            .expect("connect in time")
            .unwrap_or_else(|e| panic!("connect offering {offer:?}: {e}"));
        assert_eq!(ws.subprotocol(), want, "offered {offer:?}");
        assert_eq!(
            response
                .headers()
                .get("sec-websocket-protocol")
                .map(|v| v.to_str().unwrap()),
            want,
            "offered {offer:?}"
        );
        let text = format!("offered {offer:?}");
        ws.send_text(&text).await.unwrap();
        expect_text(&mut ws, &text, TIMEOUT).await;
        server.close_normally(ws).await;
    }
}
