//! Our side of the interoperability matrix: the echo server that peer clients talk to
//! (with its commands and a [`Report`] per connection), our client against a peer's echo
//! server ([`Peer`]'s methods here), and bounded checks of the messages that come back.

use std::process::Stdio;
use std::time::Duration;

use rfc6455::{
    CloseCode, DataKind, Handshake, Message, Rejection, ServerHandle, ServerOptions, WebSocket,
    serve_with_hook,
};
use tokio::process::Command;
use tokio::sync::mpsc;
use tokio::time::timeout;

use super::data::pattern;
use super::peers::{Peer, interop_script, node, python};

// ------------------------------------------------------------- a peer's echo server

impl Peer {
    /// Python's `ws_echo_server.py`, listening: it prints `PORT <n>`, then
    /// `CLOSED <code> <reason>` for every connection that ends; echoes every message, and
    /// closes with 4000 "server says bye" on the text `close-me`.
    pub(crate) async fn python_echo_server(limit: Duration) -> Self {
        let mut command = Command::new(python());
        command
            .arg(interop_script("ws_echo_server.py"))
            .args(["--port", "0"])
            .stdin(Stdio::null());
        Self::listening("ws_echo_server.py", command, limit).await
    }

    /// Node's `ws_echo_server.mjs` (on `ws`), listening, the same way; it also obeys
    /// `ping-me:<payload>` and `fragments-me:<n>`, and reports every ping it receives as
    /// the text `PING:<payload>`.
    pub(crate) async fn node_echo_server(limit: Duration) -> Self {
        let mut command = Command::new(node());
        command
            .arg(interop_script("ws_echo_server.mjs"))
            .args(["--port", "0"])
            // The script exits when its stdin closes: it cannot outlive the test.
            .stdin(Stdio::piped());
        Self::listening("ws_echo_server.mjs", command, limit).await
    }

    /// The next `CLOSED <code> <reason>` line, as the code and reason.
    pub(crate) async fn closed(&mut self) -> (u16, String) {
        let line = self.line().await;
        let rest = line
            .strip_prefix("CLOSED ")
            .unwrap_or_else(|| panic!("expected `CLOSED <code> <reason>`, got {line:?}"));
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        let code = code
            .parse()
            .unwrap_or_else(|_| panic!("bad close code in {line:?}"));
        (code, reason.to_owned())
    }

    /// `ws://127.0.0.1:{port}/`.
    pub(crate) fn url(&self) -> String {
        format!("ws://127.0.0.1:{}/", self.port)
    }

    /// Connect our client to it.
    pub(crate) async fn connect(&self) -> WebSocket {
        let (ws, response) = timeout(self.limit, rfc6455::connect(&self.url()))
            .await
            .expect("connect in time")
            .unwrap_or_else(|e| panic!("connect to {}: {e}", self.name));
        assert_eq!(response.status(), 101);
        ws
    }

    /// Close normally and check both ends saw 1000 (from its `CLOSED` line).
    pub(crate) async fn close_normally(&mut self, mut ws: WebSocket) {
        timeout(self.limit, ws.close(CloseCode::NORMAL, ""))
            .await
            .expect("close in time")
            .expect("close");
        assert!(ws.is_closed());
        assert_eq!(ws.peer_close_code(), Some(CloseCode::NORMAL));
        assert_eq!(self.closed().await, (1000, String::new()));
    }

    /// Ask it (the text `close-me`) to close with 4000 "server says bye"; check that our
    /// end saw that close, and that it saw our answer: the code, without the reason.
    pub(crate) async fn server_closes_with_4000(&mut self, mut ws: WebSocket) {
        ws.send_text("close-me").await.expect("send close-me");
        match timeout(self.limit, ws.recv()).await.expect("close in time") {
            None => {}
            Some(other) => panic!("expected the end of the stream, got {other:?}"),
        }
        assert!(ws.is_closed());
        assert_eq!(ws.peer_close_code(), Some(CloseCode::from(4000)));
        assert_eq!(ws.peer_close_reason(), "server says bye");
        assert_eq!(ws.peer_closed_first(), Some(true));
        assert_eq!(self.closed().await, (4000, String::new()));
    }

    /// Close with 4000 "client says bye"; check it answered with the same code and saw
    /// our reason.
    pub(crate) async fn client_closes_with_4000(&mut self, mut ws: WebSocket) {
        timeout(
            self.limit,
            ws.close(CloseCode::from(4000), "client says bye"),
        )
        .await
        .expect("close in time")
        .expect("close");
        assert!(ws.is_closed());
        assert_eq!(ws.peer_closed_first(), Some(false));
        assert_eq!(ws.peer_close_code(), Some(CloseCode::from(4000)));
        assert_eq!(self.closed().await, (4000, "client says bye".to_owned()));
    }
}

// --------------------------------------------------- our echo server, for peer clients

/// What our server's handler saw on one connection.
#[derive(Debug)]
pub(crate) struct Report {
    pub(crate) subprotocol: Option<String>,
    pub(crate) messages: usize,
    pub(crate) close_code: Option<u16>,
    pub(crate) close_reason: String,
    pub(crate) peer_closed_first: Option<bool>,
    pub(crate) error: Option<String>,
    /// The HTTP version that carried the handshake.
    pub(crate) http_version: http::Version,
}

/// Our server: echoes every message, picks `chat` if offered, obeys the commands of the
/// peer clients (`close-me`, `ping-me:<payload>`, `fragments-me:<n>`), and reports each
/// connection when it ends. With `only`, a WebSocket handshake on any other path gets 404.
pub(crate) async fn echo_server(
    options: ServerOptions,
    only: Option<&'static str>,
) -> (ServerHandle, mpsc::UnboundedReceiver<Report>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let server = serve_with_hook(
        options,
        move |hs: &mut Handshake<'_>| {
            if only.is_some_and(|path| hs.request().uri().path() != path) {
                return Err(Rejection::from(http::StatusCode::NOT_FOUND));
            }
            hs.accept_subprotocol("chat");
            Ok(())
        },
        move |ws, ()| echo(ws, tx.clone()),
    )
    .await
    .expect("our server listens");
    (server, rx)
}

/// What the echo handler does with one message; returns whether to go on.
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
            if i == 0 {
                ws.send_fragment(DataKind::Text, part.as_bytes(), i + 1 == n)
                    .await?;
            } else {
                ws.send_continuation(part.as_bytes(), i + 1 == n).await?;
            }
        }
        for i in 0..n {
            let byte = [(i % 256) as u8];
            if i == 0 {
                ws.send_fragment(DataKind::Binary, &byte, i + 1 == n)
                    .await?;
            } else {
                ws.send_continuation(&byte, i + 1 == n).await?;
            }
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
        close_code: ws.peer_close_code().map(CloseCode::as_u16),
        close_reason: ws.peer_close_reason().to_string(),
        peer_closed_first: ws.peer_closed_first(),
        error,
        http_version: ws.handshake().http_version(),
    });
}

/// The reports of `count` connections, in the order they ended.
pub(crate) async fn reports(
    rx: &mut mpsc::UnboundedReceiver<Report>,
    count: usize,
    limit: Duration,
) -> Vec<Report> {
    let mut reports = Vec::with_capacity(count);
    for _ in 0..count {
        let report = timeout(limit, rx.recv())
            .await
            .expect("our handler reports the connection")
            .expect("the server is running");
        reports.push(report);
    }
    reports
}

/// Every connection ended with the client's normal close and no error.
pub(crate) fn assert_closed_normally(reports: &[Report]) {
    for report in reports {
        assert_eq!(report.error, None, "{report:?}");
        assert_eq!(report.close_code, Some(1000), "{report:?}");
        assert_eq!(report.peer_closed_first, Some(true), "{report:?}");
    }
}

// ------------------------------------------------------- messages from a peer server

/// The next message, within `limit`; panics on an error or the end of the connection.
pub(crate) async fn recv(ws: &mut WebSocket, limit: Duration) -> Message {
    match timeout(limit, ws.recv()).await {
        Ok(Some(Ok(message))) => message,
        Ok(Some(Err(e))) => panic!("recv failed: {e}"),
        Ok(None) => panic!(
            "connection closed: {:?} {:?}",
            ws.peer_close_code(),
            ws.peer_close_reason()
        ),
        Err(_) => panic!("no message in {limit:?}"),
    }
}

pub(crate) async fn expect_text(ws: &mut WebSocket, expected: &str, limit: Duration) {
    match recv(ws, limit).await {
        Message::Text(text) => assert!(
            text == expected,
            "text of {} bytes differs from the {} bytes expected ({:?}…)",
            text.len(),
            expected.len(),
            text.chars().take(40).collect::<String>()
        ),
        other => panic!(
            "expected text, got {:?} of {} bytes",
            other.kind(),
            other.len()
        ),
    }
}

pub(crate) async fn expect_binary(ws: &mut WebSocket, expected: &[u8], limit: Duration) {
    match recv(ws, limit).await {
        Message::Binary(data) => assert!(
            data == expected,
            "binary of {} bytes differs from the {} bytes expected",
            data.len(),
            expected.len()
        ),
        other => panic!(
            "expected binary, got {:?} of {} bytes",
            other.kind(),
            other.len()
        ),
    }
}

/// Send `text` and expect it back.
pub(crate) async fn roundtrip_text(ws: &mut WebSocket, text: &str, limit: Duration) {
    ws.send_text(text).await.expect("send text");
    expect_text(ws, text, limit).await;
}

/// Send `data` and expect it back.
pub(crate) async fn roundtrip_binary(ws: &mut WebSocket, data: &[u8], limit: Duration) {
    ws.send_binary(data).await.expect("send binary");
    expect_binary(ws, data, limit).await;
}

/// Send three messages in fragments and check that each comes back whole: a text in three
/// fragments, a binary with an empty fragment in the middle, and a text with a character
/// split across fragments.
pub(crate) async fn roundtrip_fragmented(ws: &mut WebSocket, limit: Duration) {
    ws.send_fragment(DataKind::Text, b"Hel", false)
        .await
        .unwrap();
    ws.send_continuation("lo, wö".as_bytes(), false)
        .await
        .unwrap();
    ws.send_continuation(b"rld", true).await.unwrap();
    expect_text(ws, "Hello, wörld", limit).await;

    ws.send_fragment(DataKind::Binary, b"\x00\x01", false)
        .await
        .unwrap();
    ws.send_continuation(b"", false).await.unwrap();
    ws.send_continuation(b"\x02\xff", true).await.unwrap();
    expect_binary(ws, b"\x00\x01\x02\xff", limit).await;

    // A character split across fragments.
    ws.send_fragment(DataKind::Text, b"caf\xc3", false)
        .await
        .unwrap();
    ws.send_continuation(b"\xa9 \xe2\x82", false).await.unwrap();
    ws.send_continuation(b"\xac", true).await.unwrap();
    expect_text(ws, "café €", limit).await;
}

/// Send a binary message in 1000 fragments of 1000 bytes, with a ping (`mid-message`)
/// after the 500th; returns the whole message, to compare with the echo.
pub(crate) async fn send_fragments_around_a_ping(ws: &mut WebSocket) -> Vec<u8> {
    let part = pattern(0, 1000);
    ws.send_fragment(DataKind::Binary, &part, false)
        .await
        .unwrap();
    for i in 1..1000 {
        if i == 500 {
            ws.ping(b"mid-message").await.unwrap();
        }
        ws.send_continuation(&part, i == 999).await.unwrap();
    }
    part.repeat(1000)
}
