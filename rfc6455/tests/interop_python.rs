//! Interoperability with the Python `websockets` library, run for real as a child process.
//!
//! * `python_client_*`: `tests/interop/ws_client.py` runs a scenario against our server,
//!   started in-process; the script asserts on its side and exits non-zero on a mismatch,
//!   and our handler reports what it saw (close code and reason, errors) through a channel.
//! * `rust_client_*`: `tests/interop/ws_echo_server.py` listens on a free port (it prints
//!   `PORT <n>`), and our client talks to it; the script prints `CLOSED <code> <reason>`
//!   for every connection that ends, which the tests check.
//!
//! The peer lives in the virtualenv `.venv` at the workspace root, made by
//! `scripts/install-peers.sh`. A missing peer fails the tests: it is never a skip.

mod support;

use std::time::Duration;

use rfc6455::{ClientOptions, DataKind, ErrorKind, Message, ServerHandle};
use tokio::io::AsyncReadExt;
use tokio::process::Command;
use tokio::sync::mpsc;
use tokio::time::timeout;

use support::data::{drain, pattern, text_pattern};
use support::interop::{
    Report, assert_closed_normally, echo_server, expect_binary, expect_text, reports,
    roundtrip_binary, roundtrip_fragmented, roundtrip_text, send_fragments_around_a_ping,
};
use support::peers::{Peer, interop_script, python, run_scenario};
use support::server::{local, serve_one, url};

/// Bound on every wait for the peer: a start, a message, a whole scenario.
const TIMEOUT: Duration = Duration::from_secs(120);

/// 16 MiB: the default frame limit, so the largest message sent in one frame.
const LARGE: usize = 16 << 20;

// ------------------------------------------------------- python client → our server

/// Our server ([`echo_server`]): echoes every message, picks `chat` if offered, closes
/// with 4000 "server says bye" on the text `close-me`, and reports each connection when
/// it ends.
async fn start_server() -> (ServerHandle, mpsc::UnboundedReceiver<Report>) {
    echo_server(local(), None).await
}

/// Run `ws_client.py URL SCENARIO` to its end; panics unless it passed.
async fn run_python_client(url: &str, scenario: &str) -> String {
    let mut command = Command::new(python());
    command
        .arg(interop_script("ws_client.py"))
        .arg(url)
        .arg(scenario);
    run_scenario(command, "ws_client.py", scenario, TIMEOUT).await
}

/// Run a scenario whose connections all end with the client's normal close.
async fn python_client_scenario(scenario: &str, connections: usize) -> Vec<Report> {
    let (server, mut rx) = start_server().await;
    let url = format!("ws://{}/{scenario}", server.local_addr());
    run_python_client(&url, scenario).await;
    let reports = reports(&mut rx, connections, TIMEOUT).await;
    assert_closed_normally(&reports);
    server.stop().await;
    reports
}

#[tokio::test]
async fn python_client_text() {
    let reports = python_client_scenario("text", 1).await;
    assert_eq!(reports[0].messages, 5);
}

#[tokio::test]
async fn python_client_binary() {
    let reports = python_client_scenario("binary", 1).await;
    assert_eq!(reports[0].messages, 3);
}

#[tokio::test]
async fn python_client_empty() {
    let reports = python_client_scenario("empty", 1).await;
    assert_eq!(reports[0].messages, 2);
}

#[tokio::test]
async fn python_client_sizes_125_126_65535_65536() {
    let reports = python_client_scenario("sizes", 1).await;
    assert_eq!(reports[0].messages, 8);
}

#[tokio::test]
async fn python_client_16_mib() {
    let reports = python_client_scenario("large", 1).await;
    assert_eq!(reports[0].messages, 2);
}

#[tokio::test]
async fn python_client_fragmented() {
    let reports = python_client_scenario("fragmented", 1).await;
    assert_eq!(reports[0].messages, 7);
}

#[tokio::test]
async fn python_client_ping() {
    let reports = python_client_scenario("ping", 1).await;
    assert_eq!(reports[0].messages, 2);
}

#[tokio::test]
async fn python_client_subprotocol() {
    let reports = python_client_scenario("subprotocol", 4).await;
    let chosen: Vec<_> = reports.iter().map(|r| r.subprotocol.as_deref()).collect();
    assert_eq!(chosen, [Some("chat"), Some("chat"), None, None]);
}

#[tokio::test]
async fn python_client_closes_with_4000() {
    let (server, mut rx) = start_server().await;
    let url = format!("ws://{}/close", server.local_addr());
    let stdout = run_python_client(&url, "close").await;
    // Our answer echoes the status code (RFC 6455 §5.5.1), without the reason.
    assert!(
        stdout
            .lines()
            .any(|l| l.trim_end() == "CLOSE_RECEIVED 4000"),
        "{stdout}"
    );
    let report = reports(&mut rx, 1, TIMEOUT).await.remove(0);
    assert_eq!(report.error, None, "{report:?}");
    assert_eq!(report.close_code, Some(4000), "{report:?}");
    assert_eq!(report.close_reason, "client says bye", "{report:?}");
    assert_eq!(report.peer_closed_first, Some(true), "{report:?}");
    server.stop().await;
}

#[tokio::test]
async fn python_client_server_closes_with_4000() {
    let (server, mut rx) = start_server().await;
    let url = format!("ws://{}/server-close", server.local_addr());
    let stdout = run_python_client(&url, "server-close").await;
    assert!(
        stdout
            .lines()
            .any(|l| l == "CLOSE_RECEIVED 4000 server says bye"),
        "{stdout}"
    );
    let report = reports(&mut rx, 1, TIMEOUT).await.remove(0);
    assert_eq!(report.error, None, "{report:?}");
    // websockets answers with our own close frame, code and reason.
    assert_eq!(report.close_code, Some(4000), "{report:?}");
    assert_eq!(report.peer_closed_first, Some(false), "{report:?}");
    server.stop().await;
}

// ------------------------------------------------------- our client → python server

#[tokio::test]
async fn rust_client_text() {
    let mut server = Peer::python_echo_server(TIMEOUT).await;
    let mut ws = server.connect().await;
    for text in [
        "Hello",
        "héllo wörld ✓",
        "日本語テキスト",
        "emoji 🦀🎉",
        "\0nul\0",
    ] {
        roundtrip_text(&mut ws, text, TIMEOUT).await;
    }
    // Through `send`, as a `Message`, too.
    ws.send(Message::text("as a message")).await.expect("send");
    expect_text(&mut ws, "as a message", TIMEOUT).await;
    server.close_normally(ws).await;
}

#[tokio::test]
async fn rust_client_binary() {
    let mut server = Peer::python_echo_server(TIMEOUT).await;
    let mut ws = server.connect().await;
    for data in [
        &b"\x00\x01\x02\xff"[..],
        &pattern(0, 256),
        b"\xc3\x28 not utf-8",
    ] {
        roundtrip_binary(&mut ws, data, TIMEOUT).await;
    }
    ws.send(Message::binary(vec![9u8; 10])).await.expect("send");
    expect_binary(&mut ws, &[9u8; 10], TIMEOUT).await;
    server.close_normally(ws).await;
}

#[tokio::test]
async fn rust_client_empty() {
    let mut server = Peer::python_echo_server(TIMEOUT).await;
    let mut ws = server.connect().await;
    roundtrip_text(&mut ws, "", TIMEOUT).await;
    roundtrip_binary(&mut ws, b"", TIMEOUT).await;
    server.close_normally(ws).await;
}

#[tokio::test]
async fn rust_client_sizes_125_126_65535_65536() {
    let mut server = Peer::python_echo_server(TIMEOUT).await;
    let mut ws = server.connect().await;
    for size in [125, 126, 65535, 65536] {
        roundtrip_text(&mut ws, &text_pattern(0, size), TIMEOUT).await;
        roundtrip_binary(&mut ws, &pattern(0, size), TIMEOUT).await;
    }
    server.close_normally(ws).await;
}

#[tokio::test]
async fn rust_client_16_mib() {
    let mut server = Peer::python_echo_server(TIMEOUT).await;
    let mut ws = server.connect().await;
    roundtrip_binary(&mut ws, &pattern(0, LARGE), TIMEOUT).await;
    roundtrip_text(&mut ws, &text_pattern(0, LARGE), TIMEOUT).await;
    server.close_normally(ws).await;
}

#[tokio::test]
async fn rust_client_fragmented() {
    let mut server = Peer::python_echo_server(TIMEOUT).await;
    let mut ws = server.connect().await;

    roundtrip_fragmented(&mut ws, TIMEOUT).await;

    // One fragment with fin: an ordinary message. And an empty final fragment.
    ws.send_fragment(DataKind::Text, b"single", true)
        .await
        .unwrap();
    expect_text(&mut ws, "single", TIMEOUT).await;
    ws.send_fragment(DataKind::Binary, b"tail", false)
        .await
        .unwrap();
    ws.send_continuation(b"", true).await.unwrap();
    expect_binary(&mut ws, b"tail", TIMEOUT).await;

    // Many fragments, with a ping between two of them (control frames may interleave).
    let whole = send_fragments_around_a_ping(&mut ws).await;
    expect_binary(&mut ws, &whole, TIMEOUT).await;

    // Whole messages still work after fragmented ones.
    roundtrip_text(&mut ws, "after fragments", TIMEOUT).await;
    server.close_normally(ws).await;
}

#[tokio::test]
async fn rust_client_ping() {
    let mut server = Peer::python_echo_server(TIMEOUT).await;
    let mut ws = server.connect().await;
    ws.ping(b"interop-ping").await.expect("ping");
    ws.ping(b"").await.expect("empty ping");
    ws.ping(&pattern(0, 125)).await.expect("125-byte ping");
    // The pongs are consumed by `recv`; the next thing it returns is the echo.
    roundtrip_text(&mut ws, "after ping", TIMEOUT).await;

    // A ping over 125 bytes is refused here, and the connection goes on.
    let err = ws
        .ping(&pattern(0, 126))
        .await
        .expect_err("a 126-byte ping is refused");
    assert_eq!(err.kind(), ErrorKind::Send, "{err}");
    roundtrip_binary(&mut ws, b"still open", TIMEOUT).await;
    server.close_normally(ws).await;
}

#[tokio::test]
async fn rust_client_server_closes_with_4000() {
    let mut server = Peer::python_echo_server(TIMEOUT).await;
    let mut ws = server.connect().await;
    roundtrip_text(&mut ws, "before close", TIMEOUT).await;
    server.server_closes_with_4000(ws).await;
}

#[tokio::test]
async fn rust_client_closes_with_4000() {
    let mut server = Peer::python_echo_server(TIMEOUT).await;
    let mut ws = server.connect().await;
    roundtrip_text(&mut ws, "before close", TIMEOUT).await;
    // websockets answers with the same code and reason.
    server.client_closes_with_4000(ws).await;
}

#[tokio::test]
async fn rust_client_subprotocol() {
    let mut server = Peer::python_echo_server(TIMEOUT).await;

    let options = ClientOptions::default().subprotocols(["chat"]);
    let (mut ws, response) = rfc6455::connect_with(&server.url(), options)
        .await
        .expect("connect offering chat");
    assert_eq!(ws.subprotocol(), Some("chat"));
    assert_eq!(
        response.headers().get("sec-websocket-protocol").unwrap(),
        "chat"
    );
    roundtrip_text(&mut ws, "chatting", TIMEOUT).await;
    server.close_normally(ws).await;

    let options = ClientOptions::default().subprotocols(["superchat", "chat"]);
    let (ws, _) = rfc6455::connect_with(&server.url(), options)
        .await
        .expect("connect offering superchat, chat");
    assert_eq!(ws.subprotocol(), Some("chat"));
    server.close_normally(ws).await;

    let options = ClientOptions::default().subprotocols(["superchat"]);
    let (mut ws, response) = rfc6455::connect_with(&server.url(), options)
        .await
        .expect("connect offering superchat");
    assert_eq!(ws.subprotocol(), None);
    assert!(response.headers().get("sec-websocket-protocol").is_none());
    roundtrip_text(&mut ws, "plain", TIMEOUT).await;
    server.close_normally(ws).await;

    let ws = server.connect().await;
    assert_eq!(ws.subprotocol(), None);
    server.close_normally(ws).await;
}

// ------------------------------------------------------------ streamed messages, 100 MiB

const STREAM_SIZE: u64 = 100 << 20;

#[tokio::test]
async fn python_client_streams_100_mib_both_ways() {
    let (server, handled) = serve_one(local(), |mut ws| async move {
        let mut reader = ws.recv_stream().await.unwrap().unwrap();
        let got = drain(&mut reader, 0x5A).await;
        drop(reader);
        let source = AsyncReadExt::take(tokio::io::repeat(0xA5), STREAM_SIZE);
        let sent = ws.send_stream(DataKind::Binary, source).await;
        let _ = ws.recv().await;
        (got, sent.map_err(|e| e.to_string()))
    })
    .await;
    let stdout = run_python_client(&url(&server, "/"), "stream-100mib").await;
    assert!(
        stdout.contains(&format!("OK stream-received {STREAM_SIZE}")),
        "{stdout}"
    );
    let (got, sent) = handled.returned().await;
    assert_eq!((got, sent), (Ok(STREAM_SIZE), Ok(STREAM_SIZE)));
    server.stop().await;
}

#[tokio::test]
async fn rust_client_streams_100_mib_through_python() {
    let server = Peer::python_echo_server(TIMEOUT).await;
    let mut ws = server.connect().await;
    let source = AsyncReadExt::take(tokio::io::repeat(0x5A), STREAM_SIZE);
    let sent = ws.send_stream(DataKind::Binary, source).await.unwrap();
    assert_eq!(sent, STREAM_SIZE);
    let mut reader = timeout(TIMEOUT, ws.recv_stream())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let got = timeout(TIMEOUT, drain(&mut reader, 0x5A)).await.unwrap();
    assert_eq!(
        got,
        Ok(STREAM_SIZE),
        "the echo of a 100 MiB streamed message"
    );
}
