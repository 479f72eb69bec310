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

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use rfc6455::{
    ClientOptions, CloseCode, DataKind, ErrorKind, Handshake, Message, ServerHandle, ServerOptions,
    WebSocket, serve_with,
};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio::time::timeout;

/// Bound on every wait for the peer: a start, a message, a whole scenario.
const TIMEOUT: Duration = Duration::from_secs(120);

/// 16 MiB: the default frame limit, so the largest message sent in one frame.
const LARGE: usize = 16 << 20;

// ---------------------------------------------------------------------------- the peer

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate lives in the workspace")
        .to_path_buf()
}

fn script(name: &str) -> PathBuf {
    let path = workspace_root().join("tests/interop").join(name);
    assert!(path.is_file(), "peer script {} is missing", path.display());
    path
}

/// The virtualenv's Python, checked once to import `websockets`; panics (fails the test)
/// with the fix if it is not there.
fn python() -> PathBuf {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = PYTHON.get_or_init(|| {
        let python = workspace_root().join(".venv/bin/python");
        if !python.is_file() {
            return Err(format!(
                "the Python peer is not installed: {} does not exist. \
                 Run scripts/install-peers.sh (from the repository root) first.",
                python.display()
            ));
        }
        let check = std::process::Command::new(&python)
            .args(["-c", "import websockets; print(websockets.__version__)"])
            .output()
            .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
        if !check.status.success() {
            return Err(format!(
                "{} cannot import websockets ({}). Run scripts/install-peers.sh first.",
                python.display(),
                String::from_utf8_lossy(&check.stderr).trim()
            ));
        }
        eprintln!(
            "interop peer: python websockets {}",
            String::from_utf8_lossy(&check.stdout).trim()
        );
        Ok(python)
    });
    match found {
        Ok(python) => python.clone(),
        Err(message) => panic!("{message}"),
    }
}

/// Collect everything a child writes on a pipe, for failure messages.
fn collect(pipe: impl AsyncRead + Unpin + Send + 'static) -> Arc<Mutex<String>> {
    let buffer = Arc::new(Mutex::new(String::new()));
    let sink = buffer.clone();
    tokio::spawn(async move {
        let mut pipe = pipe;
        let mut chunk = vec![0u8; 4096];
        while let Ok(n) = pipe.read(&mut chunk).await {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
    });
    buffer
}

// ------------------------------------------------------- python client → our server

/// What our server's handler saw on one connection.
#[derive(Debug)]
struct Report {
    subprotocol: Option<String>,
    messages: usize,
    close_code: Option<u16>,
    close_reason: String,
    peer_closed_first: Option<bool>,
    error: Option<String>,
}

/// Our server: echoes every message, picks `chat` if offered, closes with 4000
/// "server says bye" on the text `close-me`, and reports each connection when it ends.
async fn start_server() -> (ServerHandle, mpsc::UnboundedReceiver<Report>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let options = ServerOptions::default()
        .listen_addr([127, 0, 0, 1].into())
        .port(0);
    let server = serve_with(
        options,
        |hs: &mut Handshake<'_>| {
            hs.accept_subprotocol("chat");
            Ok(())
        },
        move |ws, ()| echo(ws, tx.clone()),
    )
    .await
    .expect("our server listens");
    (server, rx)
}

async fn echo(mut ws: WebSocket, reports: mpsc::UnboundedSender<Report>) {
    let mut messages = 0;
    let mut error = None;
    while let Some(result) = ws.recv().await {
        match result {
            Ok(message) => {
                messages += 1;
                if message.as_text() == Some("close-me") {
                    if let Err(e) = ws.close(CloseCode::from(4000), "server says bye").await {
                        error = Some(format!("close: {e}"));
                    }
                    break;
                }
                if let Err(e) = ws.send(message).await {
                    error = Some(format!("send: {e}"));
                    break;
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

/// Run `ws_client.py URL SCENARIO` to its end; panics unless it passed.
async fn run_python_client(url: &str, scenario: &str) -> String {
    let mut command = Command::new(python());
    command
        .arg(script("ws_client.py"))
        .arg(url)
        .arg(scenario)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let output = timeout(TIMEOUT, command.output())
        .await
        .unwrap_or_else(|_| panic!("ws_client.py {scenario} did not finish in {TIMEOUT:?}"))
        .expect("ws_client.py starts");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.lines().any(|l| l == format!("PASS {scenario}")),
        "ws_client.py {scenario} failed ({}):\n--- stdout\n{stdout}--- stderr\n{stderr}",
        output.status
    );
    stdout
}

/// The reports of `count` connections, in the order they ended.
async fn reports(rx: &mut mpsc::UnboundedReceiver<Report>, count: usize) -> Vec<Report> {
    let mut reports = Vec::with_capacity(count);
    for _ in 0..count {
        let report = timeout(TIMEOUT, rx.recv())
            .await
            .expect("our handler reports the connection")
            .expect("the server is running");
        reports.push(report);
    }
    reports
}

/// Run a scenario whose connections all end with the client's normal close.
async fn python_client_scenario(scenario: &str, connections: usize) -> Vec<Report> {
    let (server, mut rx) = start_server().await;
    let url = format!("ws://{}/{scenario}", server.local_addr());
    run_python_client(&url, scenario).await;
    let reports = reports(&mut rx, connections).await;
    for report in &reports {
        assert_eq!(report.error, None, "{report:?}");
        assert_eq!(report.close_code, Some(1000), "{report:?}");
        assert_eq!(report.peer_closed_first, Some(true), "{report:?}");
    }
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
    let report = reports(&mut rx, 1).await.remove(0);
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
    let report = reports(&mut rx, 1).await.remove(0);
    assert_eq!(report.error, None, "{report:?}");
    // websockets answers with our own close frame, code and reason.
    assert_eq!(report.close_code, Some(4000), "{report:?}");
    assert_eq!(report.peer_closed_first, Some(false), "{report:?}");
    server.stop().await;
}

// ------------------------------------------------------- our client → python server

/// `ws_echo_server.py`, running; killed when dropped.
struct PythonServer {
    child: Child,
    port: u16,
    lines: mpsc::UnboundedReceiver<String>,
    stderr: Arc<Mutex<String>>,
}

impl PythonServer {
    /// Start it and wait for its `PORT <n>` line.
    async fn start() -> Self {
        let mut child = Command::new(python())
            .arg(script("ws_echo_server.py"))
            .args(["--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("ws_echo_server.py starts");
        let stderr = collect(child.stderr.take().expect("piped stderr"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut stdout = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = stdout.next_line().await {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Self {
            child,
            port: 0,
            lines,
            stderr,
        };
        let line = server.line().await;
        server.port = line
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("expected `PORT <n>` from ws_echo_server.py, got {line:?}"));
        server
    }

    fn url(&self) -> String {
        format!("ws://127.0.0.1:{}/", self.port)
    }

    /// The next line it prints; panics if it exits or stays silent.
    async fn line(&mut self) -> String {
        match timeout(TIMEOUT, self.lines.recv()).await {
            Ok(Some(line)) => line,
            Ok(None) => {
                let status: Option<ExitStatus> = timeout(TIMEOUT, self.child.wait())
                    .await
                    .ok()
                    .and_then(Result::ok);
                panic!(
                    "ws_echo_server.py ended ({status:?}); stderr:\n{}",
                    self.stderr.lock().unwrap()
                )
            }
            Err(_) => panic!("ws_echo_server.py printed nothing for {TIMEOUT:?}"),
        }
    }

    /// The next `CLOSED <code> <reason>` line, as the code and reason.
    async fn closed(&mut self) -> (u16, String) {
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
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- ws_echo_server.py stderr\n{}",
                self.stderr.lock().unwrap()
            );
        }
        // kill_on_drop ends the process; this makes it prompt.
        let _ = self.child.start_kill();
    }
}

async fn connect(server: &PythonServer) -> WebSocket {
    let (ws, response) = timeout(TIMEOUT, rfc6455::connect(&server.url()))
        .await
        .expect("connect in time")
        .expect("connect to the websockets server");
    assert_eq!(response.status(), 101);
    ws
}

async fn recv(ws: &mut WebSocket) -> Message {
    match timeout(TIMEOUT, ws.recv()).await {
        Ok(Some(Ok(message))) => message,
        Ok(Some(Err(e))) => panic!("recv failed: {e}"),
        Ok(None) => panic!(
            "connection closed: {:?} {:?}",
            ws.close_code(),
            ws.close_reason()
        ),
        Err(_) => panic!("no message in {TIMEOUT:?}"),
    }
}

async fn expect_text(ws: &mut WebSocket, expected: &str) {
    match recv(ws).await {
        Message::Text(text) => assert!(
            text == expected,
            "text of {} bytes differs from the {} bytes sent",
            text.len(),
            expected.len()
        ),
        other => panic!(
            "expected text, got {:?} of {} bytes",
            other.kind(),
            other.len()
        ),
    }
}

async fn expect_binary(ws: &mut WebSocket, expected: &[u8]) {
    match recv(ws).await {
        Message::Binary(data) => assert!(
            data == expected,
            "binary of {} bytes differs from the {} bytes sent",
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

/// A text of exactly `size` UTF-8 bytes with 1-, 2- and 3-byte characters.
fn text_of(size: usize) -> String {
    let mut text = "aé€".repeat(size / 6);
    text.push_str(&"x".repeat(size % 6));
    assert_eq!(text.len(), size);
    text
}

fn binary_of(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i % 251) as u8).collect()
}

/// Close normally and check both ends saw 1000.
async fn close_normally(mut ws: WebSocket, server: &mut PythonServer) {
    timeout(TIMEOUT, ws.close(CloseCode::NORMAL, ""))
        .await
        .expect("close in time")
        .expect("close");
    assert!(ws.is_closed());
    assert_eq!(ws.close_code(), Some(CloseCode::NORMAL));
    assert_eq!(server.closed().await, (1000, String::new()));
}

async fn roundtrip_text(ws: &mut WebSocket, text: &str) {
    ws.send_text(text).await.expect("send text");
    expect_text(ws, text).await;
}

async fn roundtrip_binary(ws: &mut WebSocket, data: &[u8]) {
    ws.send_binary(data).await.expect("send binary");
    expect_binary(ws, data).await;
}

#[tokio::test]
async fn rust_client_text() {
    let mut server = PythonServer::start().await;
    let mut ws = connect(&server).await;
    for text in [
        "Hello",
        "héllo wörld ✓",
        "日本語テキスト",
        "emoji 🦀🎉",
        "\0nul\0",
    ] {
        roundtrip_text(&mut ws, text).await;
    }
    // Through `send`, as a `Message`, too.
    ws.send(Message::text("as a message")).await.expect("send");
    expect_text(&mut ws, "as a message").await;
    close_normally(ws, &mut server).await;
}

#[tokio::test]
async fn rust_client_binary() {
    let mut server = PythonServer::start().await;
    let mut ws = connect(&server).await;
    for data in [
        &b"\x00\x01\x02\xff"[..],
        &binary_of(256),
        b"\xc3\x28 not utf-8",
    ] {
        roundtrip_binary(&mut ws, data).await;
    }
    ws.send(Message::binary(vec![9u8; 10])).await.expect("send");
    expect_binary(&mut ws, &[9u8; 10]).await;
    close_normally(ws, &mut server).await;
}

#[tokio::test]
async fn rust_client_empty() {
    let mut server = PythonServer::start().await;
    let mut ws = connect(&server).await;
    roundtrip_text(&mut ws, "").await;
    roundtrip_binary(&mut ws, b"").await;
    close_normally(ws, &mut server).await;
}

#[tokio::test]
async fn rust_client_sizes_125_126_65535_65536() {
    let mut server = PythonServer::start().await;
    let mut ws = connect(&server).await;
    for size in [125, 126, 65535, 65536] {
        roundtrip_text(&mut ws, &text_of(size)).await;
        roundtrip_binary(&mut ws, &binary_of(size)).await;
    }
    close_normally(ws, &mut server).await;
}

#[tokio::test]
async fn rust_client_16_mib() {
    let mut server = PythonServer::start().await;
    let mut ws = connect(&server).await;
    roundtrip_binary(&mut ws, &binary_of(LARGE)).await;
    roundtrip_text(&mut ws, &text_of(LARGE)).await;
    close_normally(ws, &mut server).await;
}

#[tokio::test]
async fn rust_client_fragmented() {
    let mut server = PythonServer::start().await;
    let mut ws = connect(&server).await;

    ws.send_fragment(Some(DataKind::Text), b"Hel", false)
        .await
        .unwrap();
    ws.send_fragment(None, "lo, wö".as_bytes(), false)
        .await
        .unwrap();
    ws.send_fragment(None, b"rld", true).await.unwrap();
    expect_text(&mut ws, "Hello, wörld").await;

    ws.send_fragment(Some(DataKind::Binary), b"\x00\x01", false)
        .await
        .unwrap();
    ws.send_fragment(None, b"", false).await.unwrap();
    ws.send_fragment(None, b"\x02\xff", true).await.unwrap();
    expect_binary(&mut ws, b"\x00\x01\x02\xff").await;

    // A character split across fragments.
    ws.send_fragment(Some(DataKind::Text), b"caf\xc3", false)
        .await
        .unwrap();
    ws.send_fragment(None, b"\xa9 \xe2\x82", false)
        .await
        .unwrap();
    ws.send_fragment(None, b"\xac", true).await.unwrap();
    expect_text(&mut ws, "café €").await;

    // One fragment with fin: an ordinary message. And an empty final fragment.
    ws.send_fragment(Some(DataKind::Text), b"single", true)
        .await
        .unwrap();
    expect_text(&mut ws, "single").await;
    ws.send_fragment(Some(DataKind::Binary), b"tail", false)
        .await
        .unwrap();
    ws.send_fragment(None, b"", true).await.unwrap();
    expect_binary(&mut ws, b"tail").await;

    // Many fragments, with a ping between two of them (control frames may interleave).
    let part = binary_of(1000);
    ws.send_fragment(Some(DataKind::Binary), &part, false)
        .await
        .unwrap();
    for i in 1..1000 {
        if i == 500 {
            ws.ping(b"mid-message").await.unwrap();
        }
        ws.send_fragment(None, &part, i == 999).await.unwrap();
    }
    expect_binary(&mut ws, &part.repeat(1000)).await;

    // Whole messages still work after fragmented ones.
    roundtrip_text(&mut ws, "after fragments").await;
    close_normally(ws, &mut server).await;
}

#[tokio::test]
async fn rust_client_ping() {
    let mut server = PythonServer::start().await;
    let mut ws = connect(&server).await;
    ws.ping(b"interop-ping").await.expect("ping");
    ws.ping(b"").await.expect("empty ping");
    ws.ping(&binary_of(125)).await.expect("125-byte ping");
    // The pongs are consumed by `recv`; the next thing it returns is the echo.
    roundtrip_text(&mut ws, "after ping").await;

    // A ping over 125 bytes is refused here, and the connection goes on.
    let err = ws
        .ping(&binary_of(126))
        .await
        .expect_err("a 126-byte ping is refused");
    assert_eq!(err.kind(), ErrorKind::Send, "{err}");
    roundtrip_binary(&mut ws, b"still open").await;
    close_normally(ws, &mut server).await;
}

#[tokio::test]
async fn rust_client_server_closes_with_4000() {
    let mut server = PythonServer::start().await;
    let mut ws = connect(&server).await;
    roundtrip_text(&mut ws, "before close").await;
    ws.send_text("close-me").await.expect("send close-me");
    match timeout(TIMEOUT, ws.recv()).await.expect("close in time") {
        None => {}
        Some(other) => panic!("expected the end of the stream, got {other:?}"),
    }
    assert!(ws.is_closed());
    assert_eq!(ws.close_code(), Some(CloseCode::from(4000)));
    assert_eq!(ws.close_reason(), "server says bye");
    assert_eq!(ws.peer_closed_first(), Some(true));
    // Our answer echoes the code, without the reason.
    assert_eq!(server.closed().await, (4000, String::new()));
}

#[tokio::test]
async fn rust_client_closes_with_4000() {
    let mut server = PythonServer::start().await;
    let mut ws = connect(&server).await;
    roundtrip_text(&mut ws, "before close").await;
    timeout(TIMEOUT, ws.close(CloseCode::from(4000), "client says bye"))
        .await
        .expect("close in time")
        .expect("close");
    assert!(ws.is_closed());
    assert_eq!(ws.peer_closed_first(), Some(false));
    // websockets answers with the same code and reason.
    assert_eq!(ws.close_code(), Some(CloseCode::from(4000)));
    assert_eq!(server.closed().await, (4000, "client says bye".to_owned()));
}

#[tokio::test]
async fn rust_client_subprotocol() {
    let mut server = PythonServer::start().await;

    let options = ClientOptions::default().subprotocols(["chat"]);
    let (mut ws, response) = rfc6455::connect_with(&server.url(), options)
        .await
        .expect("connect offering chat");
    assert_eq!(ws.subprotocol(), Some("chat"));
    assert_eq!(
        response.headers().get("sec-websocket-protocol").unwrap(),
        "chat"
    );
    roundtrip_text(&mut ws, "chatting").await;
    close_normally(ws, &mut server).await;

    let options = ClientOptions::default().subprotocols(["superchat", "chat"]);
    let (ws, _) = rfc6455::connect_with(&server.url(), options)
        .await
        .expect("connect offering superchat, chat");
    assert_eq!(ws.subprotocol(), Some("chat"));
    close_normally(ws, &mut server).await;

    let options = ClientOptions::default().subprotocols(["superchat"]);
    let (mut ws, response) = rfc6455::connect_with(&server.url(), options)
        .await
        .expect("connect offering superchat");
    assert_eq!(ws.subprotocol(), None);
    assert!(response.headers().get("sec-websocket-protocol").is_none());
    roundtrip_text(&mut ws, "plain").await;
    close_normally(ws, &mut server).await;

    let ws = connect(&server).await;
    assert_eq!(ws.subprotocol(), None);
    close_normally(ws, &mut server).await;
}

// ------------------------------------------------------------ streamed messages, 100 MiB

const STREAM_SIZE: u64 = 100 << 20;

/// Count a streamed message's bytes, checking each is `expected`.
async fn drain_stream<S>(reader: &mut rfc6455::MessageReader<'_, S>, expected: u8) -> u64
where
    S: AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut total = 0;
    while let Some(chunk) = reader.next_chunk().await {
        let chunk = chunk.expect("streamed chunk");
        assert!(
            chunk.iter().all(|&b| b == expected),
            "streamed payload corrupted"
        );
        total += chunk.len() as u64;
    }
    total
}

#[tokio::test]
async fn python_client_streams_100_mib_both_ways() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let server = rfc6455::serve(
        ServerOptions::default().listen_addr([127, 0, 0, 1].into()),
        move |mut ws| {
            let tx = tx.clone();
            async move {
                let mut reader = ws.recv_stream().await.unwrap().unwrap();
                let got = drain_stream(&mut reader, 0x5A).await;
                drop(reader);
                let source = AsyncReadExt::take(tokio::io::repeat(0xA5), STREAM_SIZE);
                let sent = ws.send_stream(DataKind::Binary, source).await.unwrap();
                let _ = tx.send((got, sent));
                let _ = ws.recv().await;
            }
        },
    )
    .await
    .unwrap();
    let url = format!("ws://127.0.0.1:{}/", server.local_addr().port());
    let stdout = run_python_client(&url, "stream-100mib").await;
    assert!(
        stdout.contains(&format!("OK stream-received {STREAM_SIZE}")),
        "{stdout}"
    );
    let (got, sent) = timeout(TIMEOUT, rx.recv()).await.unwrap().unwrap();
    assert_eq!((got, sent), (STREAM_SIZE, STREAM_SIZE));
    server.stop().await;
}

#[tokio::test]
async fn rust_client_streams_100_mib_through_python() {
    let server = PythonServer::start().await;
    let mut ws = connect(&server).await;
    let source = AsyncReadExt::take(tokio::io::repeat(0x5A), STREAM_SIZE);
    let sent = ws.send_stream(DataKind::Binary, source).await.unwrap();
    assert_eq!(sent, STREAM_SIZE);
    let mut reader = timeout(TIMEOUT, ws.recv_stream())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let got = timeout(TIMEOUT, drain_stream(&mut reader, 0x5A))
        .await
        .unwrap();
    assert_eq!(got, STREAM_SIZE, "the echo of a 100 MiB streamed message");
}
