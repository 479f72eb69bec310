//! Real peer programs run as child processes, shared by the interop, browser, TLS and
//! example tests:
//!
//! * where they are: the workspace, the scripts in `tests/interop`, the virtualenv's Python,
//!   `node` with the pinned `ws`, Debian's Chromium with playwright-core, and the example
//!   programs. A missing peer fails the test with the fix (`scripts/install-peers.sh`): it
//!   is never a skip.
//! * running them: [`run`] a client to its end within a bound and check it passed, or
//!   start a long-running [`Peer`] (killed when dropped) and await its `PORT <n>` and later
//!   lines with a bound; its stderr is collected and printed when the test fails.
//! * our side of the interop matrix: the echo server with its commands and its
//!   per-connection [`Report`]s, and bounded checks of the messages that come back.
//!
//! Each file under `tests/` is its own crate, and each uses a different part of this
//! module (`mod peers;`).

#![allow(dead_code, unreachable_pub)]

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use rfc6455::{
    CloseCode, DataKind, Handshake, Message, Rejection, ServerHandle, ServerOptions, WebSocket,
    serve_with,
};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::timeout;

// ------------------------------------------------------------------ where the peers are

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate lives in the workspace")
        .to_path_buf()
}

/// `tests/interop/{name}`, which must exist.
pub fn interop_script(name: &str) -> PathBuf {
    let path = workspace_root().join("tests/interop").join(name);
    assert!(path.is_file(), "peer script {} is missing", path.display());
    path
}

/// The virtualenv's Python, checked once to import `websockets`; panics (fails the test)
/// with the fix if it is not there.
pub fn python() -> PathBuf {
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

/// `node --version`, if `node` runs.
fn node_version() -> Result<String, String> {
    let output = std::process::Command::new("node")
        .arg("--version")
        .output()
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!("`node --version` failed ({})", output.status));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// `node`, checked once to run and to find the `ws` pinned in `tests/interop`; panics
/// (fails the test) with the fix if either is missing.
pub fn node() -> &'static str {
    static NODE: OnceLock<Result<(), String>> = OnceLock::new();
    let found = NODE.get_or_init(|| {
        let hint = "Run scripts/install-peers.sh (from the repository root) first \
                    (it runs `npm ci` in tests/interop).";
        let version = node_version()
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
            "interop peer: node {version} with ws {}",
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

/// The browser the Chromium drivers launch.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// The Chromium driver `script` (a path from the workspace root), after checking that
/// everything it needs is installed: Debian's chromium, `node` and playwright-core in
/// `tests/browser/node_modules`. `test` names the test in the failure message.
pub fn chromium_driver(test: &str, script: &str) -> PathBuf {
    let root = workspace_root();
    let missing = |what: &str| -> ! {
        panic!(
            "{test} needs {what}; run scripts/install-peers.sh \
             (apt-get install chromium; npm ci --prefix tests/browser)"
        )
    };
    if !Path::new(CHROMIUM).is_file() {
        missing(&format!("Debian's chromium at {CHROMIUM}"));
    }
    if node_version().is_err() {
        missing("node");
    }
    if !root
        .join("tests/browser/node_modules/playwright-core/package.json")
        .is_file()
    {
        missing("playwright-core in tests/browser/node_modules");
    }
    let script = root.join(script);
    assert!(script.is_file(), "{} is missing", script.display());
    script
}

/// The path of example `name`, built for this test run.
///
/// `cargo test --all-targets` builds the examples only as test harnesses, so the first
/// call runs `cargo build --examples` (same profile, and the `axum` feature if this test
/// has it) and takes the programs' paths from cargo's JSON messages; cargo releases its
/// lock while tests run, and an up-to-date build takes a second.
pub fn example(name: &str) -> PathBuf {
    static BUILT: OnceLock<Result<Vec<PathBuf>, String>> = OnceLock::new();
    let built = match BUILT.get_or_init(build_examples) {
        Ok(built) => built,
        Err(e) => panic!("{e}"),
    };
    let path = built
        .iter()
        .find(|p| p.file_stem().and_then(|s| s.to_str()) == Some(name))
        .unwrap_or_else(|| panic!("cargo built no example {name}: {built:?}"));
    assert!(path.is_file(), "{} is missing", path.display());
    path.clone()
}

fn build_examples() -> Result<Vec<PathBuf>, String> {
    let exe = std::env::current_exe().map_err(|e| format!("test executable: {e}"))?;
    // <build folder>/<profile>/deps/<test>
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .and_then(Path::file_name)
        .and_then(|n| n.to_str())
        .ok_or("the test executable is not in <target>/<profile>/deps")?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = std::process::Command::new(cargo);
    command.current_dir(workspace_root()).args([
        "build",
        "-p",
        "rfc6455",
        "--examples",
        "--message-format=json-render-diagnostics",
    ]);
    match profile {
        "debug" => {}
        "release" => {
            command.arg("--release");
        }
        other => {
            command.args(["--profile", other]);
        }
    }
    if cfg!(feature = "axum") {
        command.args(["--features", "axum"]);
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run cargo to build the examples: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "building the examples failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    // One JSON object per line; the artifacts with an executable are the examples.
    const KEY: &str = "\"executable\":\"";
    let executables = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| line.contains("\"reason\":\"compiler-artifact\""))
        .filter_map(|line| {
            let start = line.find(KEY)? + KEY.len();
            let end = start + line[start..].find('"')?;
            Some(PathBuf::from(line[start..end].replace("\\\\", "\\")))
        })
        .collect();
    Ok(executables)
}

// ------------------------------------------------------------- a client run to its end

/// What a child process printed, once it ended.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Run `command` to its end (stdin closed; killed if it overruns); panics if it does not
/// start or does not finish within `limit`. `what` names it in the failure messages.
pub async fn run(mut command: Command, what: &str, limit: Duration) -> Output {
    command.stdin(Stdio::null()).kill_on_drop(true);
    let output = timeout(limit, command.output())
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish in {limit:?}"))
        .unwrap_or_else(|e| panic!("{what} does not start: {e}"));
    Output {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Run the client script `script` through `command` to its end; panics unless it exits 0
/// and prints the line `PASS <scenario>`. Its standard output.
pub async fn run_scenario(
    command: Command,
    script: &str,
    scenario: &str,
    limit: Duration,
) -> String {
    let what = format!("{script} {scenario}");
    let output = run(command, &what, limit).await;
    output.assert_passed(&what, |l| l == format!("PASS {scenario}"), "");
    output.stdout
}

impl Output {
    /// Panics, with both outputs and `note`, unless it exited 0 and printed a line that
    /// `pass` accepts.
    pub fn assert_passed(&self, what: &str, pass: impl Fn(&str) -> bool, note: &str) {
        assert!(
            self.status.success() && self.stdout.lines().any(pass),
            "{}{note}",
            self.failure(what)
        );
    }

    /// Panics, with both outputs, unless it exited 0.
    pub fn assert_success(&self, what: &str) {
        assert!(self.status.success(), "{}", self.failure(what));
    }

    fn failure(&self, what: &str) -> String {
        format!(
            "{what} failed ({}):\n--- stdout\n{}--- stderr\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

// -------------------------------------------------------------- a long-running peer

/// A peer running in a child process (a server, or a program the test talks to): its
/// output lines, awaited with a bound, and its stderr, printed if the test fails; killed
/// when dropped.
pub struct Peer {
    /// What it is called in failure messages.
    pub name: String,
    pub child: Child,
    /// The port of its `PORT <n>` line (see [`Peer::listening`]); 0 before.
    pub port: u16,
    /// The bound on every wait for it.
    pub limit: Duration,
    lines: mpsc::UnboundedReceiver<String>,
    stderr: Arc<Mutex<String>>,
    stderr_read: Option<JoinHandle<()>>,
}

/// The bound on every wait for an example program.
pub const EXAMPLE_LIMIT: Duration = Duration::from_secs(30);

impl Peer {
    /// Start `command` (its stdin as the command says; stdout and stderr piped).
    pub fn start(name: impl Into<String>, mut command: Command, limit: Duration) -> Self {
        let name = name.into();
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("{name} does not start: {e}"));
        let stderr = Arc::new(Mutex::new(String::new()));
        let stderr_read = tokio::spawn(collect(
            child.stderr.take().expect("piped stderr"),
            stderr.clone(),
        ));
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
        Self {
            name,
            child,
            port: 0,
            limit,
            lines,
            stderr,
            stderr_read: Some(stderr_read),
        }
    }

    /// Start `command` and wait for its first line, `PORT <n>`.
    pub async fn listening(name: impl Into<String>, command: Command, limit: Duration) -> Self {
        let mut peer = Self::start(name, command, limit);
        let line = peer.line().await;
        peer.port = line
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("expected `PORT <n>` from {}, got {line:?}", peer.name));
        peer
    }

    /// Python's `ws_echo_server.py`, listening: it prints `PORT <n>`, then
    /// `CLOSED <code> <reason>` for every connection that ends; echoes every message, and
    /// closes with 4000 "server says bye" on the text `close-me`.
    pub async fn python_echo_server(limit: Duration) -> Self {
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
    pub async fn node_echo_server(limit: Duration) -> Self {
        let mut command = Command::new(node());
        command
            .arg(interop_script("ws_echo_server.mjs"))
            .args(["--port", "0"])
            // The script exits when its stdin closes: it cannot outlive the test.
            .stdin(Stdio::piped());
        Self::listening("ws_echo_server.mjs", command, limit).await
    }

    /// Start example `name` with `args`, its stdin piped.
    pub fn example(name: &str, args: &[&str]) -> Self {
        let mut command = Command::new(example(name));
        command.args(args).stdin(Stdio::piped());
        Self::start(format!("example {name}"), command, EXAMPLE_LIMIT)
    }

    /// The next line it prints; panics if it ends its output or stays silent.
    pub async fn line(&mut self) -> String {
        match timeout(self.limit, self.lines.recv()).await {
            Ok(Some(line)) => line,
            Ok(None) => {
                let status = timeout(self.limit, self.child.wait()).await;
                panic!(
                    "{} ended ({status:?}); stderr:\n{}",
                    self.name,
                    self.stderr.lock().unwrap()
                )
            }
            Err(_) => panic!("{} printed nothing for {:?}", self.name, self.limit),
        }
    }

    /// Read lines until one contains `needle`; returns it.
    pub async fn line_with(&mut self, needle: &str) -> String {
        loop {
            let line = self.line().await;
            if line.contains(needle) {
                return line;
            }
        }
    }

    /// The port in the first line holding `localhost:<port>` (the examples print their URL).
    pub async fn localhost_port(&mut self) -> u16 {
        let line = self.line_with("localhost:").await;
        Self::port_from(&line)
    }

    /// The port after `localhost:` in `line`.
    pub fn port_from(line: &str) -> u16 {
        let rest = &line[line.find("localhost:").expect("found") + "localhost:".len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits
            .parse()
            .unwrap_or_else(|_| panic!("no port in {line:?}"))
    }

    /// The next `CLOSED <code> <reason>` line, as the code and reason.
    pub async fn closed(&mut self) -> (u16, String) {
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
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}/", self.port)
    }

    /// Connect our client to it.
    pub async fn connect(&self) -> WebSocket {
        let (ws, response) = timeout(self.limit, rfc6455::connect(&self.url()))
            .await
            .expect("connect in time")
            .unwrap_or_else(|e| panic!("connect to {}: {e}", self.name));
        assert_eq!(response.status(), 101);
        ws
    }

    /// Close normally and check both ends saw 1000 (from its `CLOSED` line).
    pub async fn close_normally(&mut self, mut ws: WebSocket) {
        timeout(self.limit, ws.close(CloseCode::NORMAL, ""))
            .await
            .expect("close in time")
            .expect("close");
        assert!(ws.is_closed());
        assert_eq!(ws.close_code(), Some(CloseCode::NORMAL));
        assert_eq!(self.closed().await, (1000, String::new()));
    }

    /// Ask it (the text `close-me`) to close with 4000 "server says bye"; check that our
    /// end saw that close, and that it saw our answer: the code, without the reason.
    pub async fn server_closes_with_4000(&mut self, mut ws: WebSocket) {
        ws.send_text("close-me").await.expect("send close-me");
        match timeout(self.limit, ws.recv()).await.expect("close in time") {
            None => {}
            Some(other) => panic!("expected the end of the stream, got {other:?}"),
        }
        assert!(ws.is_closed());
        assert_eq!(ws.close_code(), Some(CloseCode::from(4000)));
        assert_eq!(ws.close_reason(), "server says bye");
        assert_eq!(ws.peer_closed_first(), Some(true));
        assert_eq!(self.closed().await, (4000, String::new()));
    }

    /// Close with 4000 "client says bye"; check it answered with the same code and saw
    /// our reason.
    pub async fn client_closes_with_4000(&mut self, mut ws: WebSocket) {
        timeout(
            self.limit,
            ws.close(CloseCode::from(4000), "client says bye"),
        )
        .await
        .expect("close in time")
        .expect("close");
        assert!(ws.is_closed());
        assert_eq!(ws.peer_closed_first(), Some(false));
        assert_eq!(ws.close_code(), Some(CloseCode::from(4000)));
        assert_eq!(self.closed().await, (4000, "client says bye".to_owned()));
    }

    /// Wait for it to exit.
    pub async fn wait(&mut self) -> ExitStatus {
        timeout(self.limit, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("{} did not exit within {:?}", self.name, self.limit))
            .unwrap_or_else(|e| panic!("waiting for {}: {e}", self.name))
    }

    /// Wait for it to exit; its status and everything it wrote on stderr.
    pub async fn finish(&mut self) -> (ExitStatus, String) {
        let status = self.wait().await;
        if let Some(reading) = self.stderr_read.take() {
            timeout(self.limit, reading)
                .await
                .unwrap_or_else(|_| panic!("{} kept its stderr open", self.name))
                .expect("stderr reader");
        }
        let stderr = self.stderr.lock().unwrap().clone();
        (status, stderr)
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- {} stderr\n{}", self.name, self.stderr.lock().unwrap());
        }
        // kill_on_drop ends the process; this makes it prompt.
        let _ = self.child.start_kill();
    }
}

/// Append everything written on `pipe` to `sink`, until its end.
async fn collect(mut pipe: impl AsyncRead + Unpin, sink: Arc<Mutex<String>>) {
    let mut chunk = vec![0u8; 4096];
    while let Ok(n) = pipe.read(&mut chunk).await {
        if n == 0 {
            break;
        }
        sink.lock()
            .unwrap()
            .push_str(&String::from_utf8_lossy(&chunk[..n]));
    }
}

// --------------------------------------------------- our echo server, for peer clients

/// Server options on 127.0.0.1 with a free port.
pub fn local() -> ServerOptions {
    ServerOptions::default()
        .listen_addr(Ipv4Addr::LOCALHOST.into())
        .port(0)
}

/// What our server's handler saw on one connection.
#[derive(Debug)]
pub struct Report {
    pub subprotocol: Option<String>,
    pub messages: usize,
    pub close_code: Option<u16>,
    pub close_reason: String,
    pub peer_closed_first: Option<bool>,
    pub error: Option<String>,
}

/// Our server: echoes every message, picks `chat` if offered, obeys the commands of the
/// peer clients (`close-me`, `ping-me:<payload>`, `fragments-me:<n>`), and reports each
/// connection when it ends. With `only`, a WebSocket handshake on any other path gets 404.
pub async fn echo_server(
    options: ServerOptions,
    only: Option<&'static str>,
) -> (ServerHandle, mpsc::UnboundedReceiver<Report>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let server = serve_with(
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
pub async fn reports(
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
pub fn assert_closed_normally(reports: &[Report]) {
    for report in reports {
        assert_eq!(report.error, None, "{report:?}");
        assert_eq!(report.close_code, Some(1000), "{report:?}");
        assert_eq!(report.peer_closed_first, Some(true), "{report:?}");
    }
}

// ------------------------------------------------------- messages from a peer server

/// The next message, within `limit`; panics on an error or the end of the connection.
pub async fn recv(ws: &mut WebSocket, limit: Duration) -> Message {
    match timeout(limit, ws.recv()).await {
        Ok(Some(Ok(message))) => message,
        Ok(Some(Err(e))) => panic!("recv failed: {e}"),
        Ok(None) => panic!(
            "connection closed: {:?} {:?}",
            ws.close_code(),
            ws.close_reason()
        ),
        Err(_) => panic!("no message in {limit:?}"),
    }
}

pub async fn expect_text(ws: &mut WebSocket, expected: &str, limit: Duration) {
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

pub async fn expect_binary(ws: &mut WebSocket, expected: &[u8], limit: Duration) {
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
pub async fn roundtrip_text(ws: &mut WebSocket, text: &str, limit: Duration) {
    ws.send_text(text).await.expect("send text");
    expect_text(ws, text, limit).await;
}

/// Send `data` and expect it back.
pub async fn roundtrip_binary(ws: &mut WebSocket, data: &[u8], limit: Duration) {
    ws.send_binary(data).await.expect("send binary");
    expect_binary(ws, data, limit).await;
}

/// Send three messages in fragments and check that each comes back whole: a text in three
/// fragments, a binary with an empty fragment in the middle, and a text with a character
/// split across fragments.
pub async fn roundtrip_fragmented(ws: &mut WebSocket, limit: Duration) {
    ws.send_fragment(Some(DataKind::Text), b"Hel", false)
        .await
        .unwrap();
    ws.send_fragment(None, "lo, wö".as_bytes(), false)
        .await
        .unwrap();
    ws.send_fragment(None, b"rld", true).await.unwrap();
    expect_text(ws, "Hello, wörld", limit).await;

    ws.send_fragment(Some(DataKind::Binary), b"\x00\x01", false)
        .await
        .unwrap();
    ws.send_fragment(None, b"", false).await.unwrap();
    ws.send_fragment(None, b"\x02\xff", true).await.unwrap();
    expect_binary(ws, b"\x00\x01\x02\xff", limit).await;

    // A character split across fragments.
    ws.send_fragment(Some(DataKind::Text), b"caf\xc3", false)
        .await
        .unwrap();
    ws.send_fragment(None, b"\xa9 \xe2\x82", false)
        .await
        .unwrap();
    ws.send_fragment(None, b"\xac", true).await.unwrap();
    expect_text(ws, "café €", limit).await;
}

/// Send a binary message in 1000 fragments of 1000 bytes, with a ping (`mid-message`)
/// after the 500th; returns the whole message, to compare with the echo.
pub async fn send_fragments_around_a_ping(ws: &mut WebSocket) -> Vec<u8> {
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
    part.repeat(1000)
}

/// A text of exactly `size` UTF-8 bytes with 1-, 2- and 3-byte characters.
pub fn text_of(size: usize) -> String {
    let mut text = "aé€".repeat(size / 6);
    text.push_str(&"x".repeat(size % 6));
    assert_eq!(text.len(), size);
    text
}

pub fn binary_of(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i % 251) as u8).collect()
}
