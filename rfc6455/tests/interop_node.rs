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

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use rfc6455::{
    ClientOptions, CloseCode, DataKind, Handshake, Message, ServerHandle, ServerOptions, WebSocket,
    serve_with,
};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio::time::timeout;

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

// ---------------------------------------------------------------------------- the peers

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

/// `node`, checked once to run and to find the pinned `ws`; panics (fails the test) with
/// the fix if either is missing.
fn node() -> &'static str {
    static NODE: OnceLock<Result<(), String>> = OnceLock::new();
    let found = NODE.get_or_init(|| {
        let hint = "Run scripts/install-peers.sh (from the repository root) first \
                    (it runs `npm ci` in tests/interop).";
        let version = std::process::Command::new("node")
            .arg("--version")
            .output()
            .map_err(|e| format!("the Node peer needs `node` on PATH ({e}). {hint}"))?;
        let dir = workspace_root().join("tests/interop");
        let lock = std::fs::read_to_string(dir.join("package-lock.json"))
            .map_err(|e| format!("tests/interop/package-lock.json: {e}"))?;
        let installed = std::fs::read_to_string(dir.join("node_modules/ws/package.json"))
            .map_err(|_| format!("Node's ws is not installed in tests/interop. {hint}"))?;
        let want = version_after(&lock, "\"node_modules/ws\"");
        let have = version_after(&installed, "\"name\"");
        if want.is_none() || want != have {
            return Err(format!(
                "ws {have:?} is installed in tests/interop, the lock pins {want:?}. {hint}"
            ));
        }
        eprintln!(
            "interop peer: node {} with ws {}",
            String::from_utf8_lossy(&version.stdout).trim(),
            have.unwrap_or_default()
        );
        Ok(())
    });
    match found {
        Ok(()) => "node",
        Err(message) => panic!("{message}"),
    }
}

/// The first `"version": "…"` after `marker` in a JSON text (enough for package files).
fn version_after(json: &str, marker: &str) -> Option<String> {
    let rest = &json[json.find(marker)?..];
    let rest = &rest[rest.find("\"version\"")? + "\"version\"".len()..];
    let start = rest.find('"')? + 1;
    let end = start + rest[start..].find('"')?;
    Some(rest[start..end].to_owned())
}

/// The virtualenv's Python, checked once to import `websockets`.
fn python() -> PathBuf {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = PYTHON.get_or_init(|| {
        let python = workspace_root().join(".venv/bin/python");
        let check = std::process::Command::new(&python)
            .args(["-c", "import websockets"])
            .output();
        match check {
            Ok(out) if out.status.success() => Ok(python),
            _ => Err(format!(
                "the Python peer is not installed ({} cannot import websockets). \
                 Run scripts/install-peers.sh (from the repository root) first.",
                python.display()
            )),
        }
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

/// Run a client script to its end; panics unless it exits 0 and prints `PASS <scenario>`.
async fn run_client(mut command: Command, what: &str, scenario: &str) -> String {
    command.stdin(Stdio::null()).kill_on_drop(true);
    let output = timeout(TIMEOUT, command.output())
        .await
        .unwrap_or_else(|_| panic!("{what} {scenario} did not finish in {TIMEOUT:?}"))
        .unwrap_or_else(|e| panic!("{what} does not start: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.lines().any(|l| l == format!("PASS {scenario}")),
        "{what} {scenario} failed ({}):\n--- stdout\n{stdout}--- stderr\n{stderr}",
        output.status
    );
    stdout
}

// ---------------------------------------------------------- peer client → our server

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

/// Our server: echoes every message, picks `chat` if offered, and obeys the commands of
/// `ws_client.mjs` (`close-me`, `ping-me:<payload>`, `fragments-me:<n>`); reports each
/// connection when it ends.
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

/// What the echo handler does with one message.
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
            let kind = (i == 0).then_some(DataKind::Text);
            let part = if i + 1 < n {
                format!("fragment {i}|")
            } else {
                format!("fragment {i}")
            };
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

/// Run `ws_client.mjs URL SCENARIO [ARG]` against a fresh server; returns its output and
/// the reports of `connections` connections.
async fn node_client(
    scenario: &str,
    arg: Option<&str>,
    connections: usize,
) -> (String, Vec<Report>) {
    let (server, mut rx) = start_server().await;
    let mut command = Command::new(node());
    command
        .arg(script("ws_client.mjs"))
        .arg(format!("ws://{}/{scenario}", server.local_addr()))
        .arg(scenario)
        .args(arg);
    let stdout = run_client(command, "ws_client.mjs", scenario).await;
    let reports = reports(&mut rx, connections).await;
    server.stop().await;
    (stdout, reports)
}

/// Every connection ended with the client's normal close and no error.
fn assert_closed_normally(reports: &[Report]) {
    for report in reports {
        assert_eq!(report.error, None, "{report:?}");
        assert_eq!(report.close_code, Some(1000), "{report:?}");
        assert_eq!(report.peer_closed_first, Some(true), "{report:?}");
    }
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
    let (server, mut rx) = start_server().await;
    let mut command = Command::new(python());
    command
        .arg(script("ws_sizes_client.py"))
        .arg(format!("ws://{}/", server.local_addr()))
        .arg(sizes_arg(&PYTHON_MISSING_SIZES));
    let stdout = run_client(command, "ws_sizes_client.py", "sizes").await;
    for size in PYTHON_MISSING_SIZES {
        assert!(stdout.contains(&format!("OK text-{size}\n")), "{stdout}");
        assert!(stdout.contains(&format!("OK binary-{size}\n")), "{stdout}");
    }
    let reports = reports(&mut rx, 1).await;
    assert_closed_normally(&reports);
    assert_eq!(reports[0].messages, 2 * PYTHON_MISSING_SIZES.len());
    server.stop().await;
}

// ---------------------------------------------------------- our client → peer server

/// An echo server in a child process (Node's `ws_echo_server.mjs` or Python's
/// `ws_echo_server.py`): its port, and its output lines; killed when dropped.
struct PeerServer {
    name: &'static str,
    child: Child,
    port: u16,
    lines: mpsc::UnboundedReceiver<String>,
    stderr: Arc<Mutex<String>>,
}

impl PeerServer {
    async fn node() -> Self {
        let mut command = Command::new(node());
        command
            .arg(script("ws_echo_server.mjs"))
            .args(["--port", "0"])
            // The script exits when its stdin closes: it cannot outlive the test.
            .stdin(Stdio::piped());
        Self::start("ws_echo_server.mjs", command).await
    }

    async fn python() -> Self {
        let mut command = Command::new(python());
        command
            .arg(script("ws_echo_server.py"))
            .args(["--port", "0"])
            .stdin(Stdio::null());
        Self::start("ws_echo_server.py", command).await
    }

    /// Start it and wait for its `PORT <n>` line.
    async fn start(name: &'static str, mut command: Command) -> Self {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("{name} does not start: {e}"));
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
            name,
            child,
            port: 0,
            lines,
            stderr,
        };
        let line = server.line().await;
        server.port = line
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("expected `PORT <n>` from {name}, got {line:?}"));
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
                let status = timeout(TIMEOUT, self.child.wait()).await;
                panic!(
                    "{} ended ({status:?}); stderr:\n{}",
                    self.name,
                    self.stderr.lock().unwrap()
                )
            }
            Err(_) => panic!("{} printed nothing for {TIMEOUT:?}", self.name),
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

    async fn connect(&self) -> WebSocket {
        let (ws, response) = timeout(TIMEOUT, rfc6455::connect(&self.url()))
            .await
            .expect("connect in time")
            .unwrap_or_else(|e| panic!("connect to {}: {e}", self.name));
        assert_eq!(response.status(), 101);
        ws
    }

    /// Close normally and check both ends saw 1000.
    async fn close_normally(&mut self, mut ws: WebSocket) {
        timeout(TIMEOUT, ws.close(CloseCode::NORMAL, ""))
            .await
            .expect("close in time")
            .expect("close");
        assert!(ws.is_closed());
        assert_eq!(ws.close_code(), Some(CloseCode::NORMAL));
        assert_eq!(self.closed().await, (1000, String::new()));
    }
}

impl Drop for PeerServer {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- {} stderr\n{}", self.name, self.stderr.lock().unwrap());
        }
        // kill_on_drop ends the process; this makes it prompt.
        let _ = self.child.start_kill();
    }
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

async fn expect_binary(ws: &mut WebSocket, expected: &[u8]) {
    match recv(ws).await {
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

async fn roundtrip_sizes(ws: &mut WebSocket, sizes: &[usize]) {
    for &size in sizes {
        let text = text_of(size);
        ws.send_text(&text).await.expect("send text");
        expect_text(ws, &text).await;
        let data = binary_of(size);
        ws.send_binary(&data).await.expect("send binary");
        expect_binary(ws, &data).await;
    }
}

#[tokio::test]
async fn rust_client_node_server_every_size() {
    let mut server = PeerServer::node().await;
    let mut ws = server.connect().await;
    roundtrip_sizes(&mut ws, &SIZES).await;
    server.close_normally(ws).await;
}

#[tokio::test]
async fn rust_client_python_server_sizes_0_1_1_mib() {
    let mut server = PeerServer::python().await;
    let mut ws = server.connect().await;
    roundtrip_sizes(&mut ws, &PYTHON_MISSING_SIZES).await;
    server.close_normally(ws).await;
}

#[tokio::test]
async fn rust_client_node_server_fragmented() {
    let mut server = PeerServer::node().await;
    let mut ws = server.connect().await;

    // Sent in fragments.
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

    // Many fragments with a ping in the middle: ws reports the ping at once, the message
    // when it is whole.
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
    expect_text(&mut ws, "PING:mid-message").await;
    expect_binary(&mut ws, &part.repeat(1000)).await;

    // Received in fragments: ws sends them with `fin: false`.
    ws.send_text("fragments-me:5").await.unwrap();
    expect_text(
        &mut ws,
        "fragment 0|fragment 1|fragment 2|fragment 3|fragment 4",
    )
    .await;
    expect_binary(&mut ws, &[0, 1, 2, 3, 4]).await;

    ws.send_text("after fragments").await.unwrap();
    expect_text(&mut ws, "after fragments").await;
    server.close_normally(ws).await;
}

#[tokio::test]
async fn rust_client_node_server_ping() {
    let mut server = PeerServer::node().await;
    let mut ws = server.connect().await;
    // Our pings reach ws with their payload (it reports each as a text message after
    // answering it; our `recv` drops the pongs).
    let long = "p".repeat(125);
    for payload in ["interop-ping", "", long.as_str()] {
        ws.ping(payload.as_bytes()).await.expect("ping");
        expect_text(&mut ws, &format!("PING:{payload}")).await;
    }
    // ws pings us; our automatic pong reaches it with the same payload.
    for payload in ["from node", ""] {
        ws.send_text(&format!("ping-me:{payload}")).await.unwrap();
        expect_text(&mut ws, &format!("PONG:{payload}")).await;
    }
    ws.send_text("after ping").await.unwrap();
    expect_text(&mut ws, "after ping").await;
    server.close_normally(ws).await;
}

#[tokio::test]
async fn rust_client_node_server_closes_with_4000() {
    let mut server = PeerServer::node().await;
    let mut ws = server.connect().await;
    ws.send_text("before close").await.unwrap();
    expect_text(&mut ws, "before close").await;
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
async fn rust_client_closes_node_server_with_4000() {
    let mut server = PeerServer::node().await;
    let mut ws = server.connect().await;
    ws.send_text("before close").await.unwrap();
    expect_text(&mut ws, "before close").await;
    timeout(TIMEOUT, ws.close(CloseCode::from(4000), "client says bye"))
        .await
        .expect("close in time")
        .expect("close");
    assert!(ws.is_closed());
    assert_eq!(ws.peer_closed_first(), Some(false));
    // ws answers with the same code and reason.
    assert_eq!(ws.close_code(), Some(CloseCode::from(4000)));
    assert_eq!(server.closed().await, (4000, "client says bye".to_owned()));
}

#[tokio::test]
async fn rust_client_node_server_subprotocol() {
    let mut server = PeerServer::node().await;
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
        expect_text(&mut ws, &text).await;
        server.close_normally(ws).await;
    }
}
