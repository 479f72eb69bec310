//! Real peer programs run as child processes, for the interop, browser, TLS and example
//! tests:
//!
//! * where they are: the workspace, the scripts in `tests/interop`, the virtualenv's Python,
//!   `node` with the pinned `ws`, Debian's Chromium with playwright-core, and the example
//!   programs. A missing peer fails the test with the fix (`scripts/install-peers.sh`): it
//!   is never a skip.
//! * running them: [`run`] a client to its end within a bound and check it passed, or
//!   start a long-running [`Peer`] (killed when dropped) and await its `PORT <n>` and later
//!   lines with a bound; its stderr is collected and printed when the test fails.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::timeout;

use super::LIMIT;

// ------------------------------------------------------------------ where the peers are

pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate lives in the workspace")
        .to_path_buf()
}

/// The folder of the examples' page (`client.html`, `client.js`).
pub(crate) fn static_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/static")
}

/// `tests/interop/{name}`, which must exist.
pub(crate) fn interop_script(name: &str) -> PathBuf {
    let path = workspace_root().join("tests/interop").join(name);
    assert!(path.is_file(), "peer script {} is missing", path.display());
    path
}

/// The virtualenv's Python, checked once to import `websockets`; panics (fails the test)
/// with the fix if it is not there.
pub(crate) fn python() -> PathBuf {
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
pub(crate) fn node() -> &'static str {
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
pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";

/// The Chromium driver `script` (a path from the workspace root), after checking that
/// everything it needs is installed: Debian's chromium, `node` and playwright-core in
/// `tests/browser/node_modules`. `test` names the test in the failure message.
pub(crate) fn chromium_driver(test: &str, script: &str) -> PathBuf {
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

/// Drive the Chromium interop page at `url` with `tests/interop/chromium_client.mjs` (after
/// [`chromium_driver`]'s checks; `test` names the test), within `limit`; its screenshot
/// goes to the temporary folder as `screenshot`. Asserts that the driver passed and
/// returns what it printed.
pub(crate) async fn run_chromium_page(
    test: &str,
    url: &str,
    screenshot: &str,
    limit: Duration,
) -> String {
    run_chromium_page_trusting(test, url, screenshot, limit, None).await
}

/// [`run_chromium_page`], Chromium trusting the server certificate in the PEM file `cert`
/// (for a page served over `https://`).
pub(crate) async fn run_chromium_page_trusting(
    test: &str,
    url: &str,
    screenshot: &str,
    limit: Duration,
    cert: Option<&Path>,
) -> String {
    let script = chromium_driver(test, "tests/interop/chromium_client.mjs");
    let screenshot = std::env::temp_dir().join(screenshot);
    let mut command = Command::new("node");
    command
        .arg(&script)
        .arg("--url")
        .arg(url)
        .arg("--timeout-ms")
        .arg((limit.as_millis() - 15_000).to_string())
        .arg("--screenshot")
        .arg(&screenshot);
    if let Some(cert) = cert {
        command.arg("--trust-cert").arg(cert);
    }
    let output = run(command, "the Chromium run", limit).await;
    output.assert_passed(
        "the Chromium run",
        |l| l.starts_with("PASS chromium"),
        &format!("screenshot: {}", screenshot.display()),
    );
    output.stdout
}

/// The path of example `name`, built for this test run.
///
/// `cargo test --all-targets` builds the examples only as test harnesses, so the first
/// call runs `cargo build --examples` (with this test's profile and features) and takes the programs' paths from cargo's JSON messages; cargo releases its
/// lock while tests run, and an up-to-date build takes a second.
pub(crate) fn example(name: &str) -> PathBuf {
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
    // The features this test was built with, and no others.
    command.arg("--no-default-features");
    let features: Vec<&str> = [
        ("tls", cfg!(feature = "tls")),
        ("axum", cfg!(feature = "axum")),
        ("redis", cfg!(feature = "redis")),
    ]
    .into_iter()
    .filter_map(|(name, on)| on.then_some(name))
    .collect();
    if !features.is_empty() {
        command.args(["--features", &features.join(",")]);
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
pub(crate) struct Output {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Run `command` to its end (stdin closed; killed if it overruns); panics if it does not
/// start or does not finish within `limit`. `what` names it in the failure messages.
pub(crate) async fn run(mut command: Command, what: &str, limit: Duration) -> Output {
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
pub(crate) async fn run_scenario(
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
    pub(crate) fn assert_passed(&self, what: &str, pass: impl Fn(&str) -> bool, note: &str) {
        assert!(
            self.status.success() && self.stdout.lines().any(pass),
            "{}{note}",
            self.failure(what)
        );
    }

    /// Panics, with both outputs, unless it exited 0.
    pub(crate) fn assert_success(&self, what: &str) {
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
pub(crate) struct Peer {
    /// What it is called in failure messages.
    pub(crate) name: String,
    pub(crate) child: Child,
    /// The port of its `PORT <n>` line (see [`Peer::listening`]); 0 before.
    pub(crate) port: u16,
    /// The bound on every wait for it.
    pub(crate) limit: Duration,
    lines: mpsc::UnboundedReceiver<String>,
    stderr: Arc<Mutex<String>>,
    stderr_read: Option<JoinHandle<()>>,
}

impl Peer {
    /// Start `command` (its stdin as the command says; stdout and stderr piped).
    pub(crate) fn start(name: impl Into<String>, mut command: Command, limit: Duration) -> Self {
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
    pub(crate) async fn listening(
        name: impl Into<String>,
        command: Command,
        limit: Duration,
    ) -> Self {
        let mut peer = Self::start(name, command, limit);
        let line = peer.line().await;
        peer.port = line
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("expected `PORT <n>` from {}, got {line:?}", peer.name));
        peer
    }

    /// Start example `name` with `args`, its stdin piped.
    pub(crate) fn example(name: &str, args: &[&str]) -> Self {
        let mut command = Command::new(example(name));
        command.args(args).stdin(Stdio::piped());
        Self::start(format!("example {name}"), command, LIMIT)
    }

    /// The next line it prints; panics if it ends its output or stays silent.
    pub(crate) async fn line(&mut self) -> String {
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
    pub(crate) async fn line_with(&mut self, needle: &str) -> String {
        loop {
            let line = self.line().await;
            if line.contains(needle) {
                return line;
            }
        }
    }

    /// The port in the first line holding `localhost:<port>` (the examples print their URL).
    pub(crate) async fn localhost_port(&mut self) -> u16 {
        let line = self.line_with("localhost:").await;
        Self::port_from(&line)
    }

    /// The port after `localhost:` in `line`.
    pub(crate) fn port_from(line: &str) -> u16 {
        let rest = &line[line.find("localhost:").expect("found") + "localhost:".len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits
            .parse()
            .unwrap_or_else(|_| panic!("no port in {line:?}"))
    }

    /// Wait for it to exit.
    pub(crate) async fn wait(&mut self) -> ExitStatus {
        timeout(self.limit, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("{} did not exit within {:?}", self.name, self.limit))
            .unwrap_or_else(|e| panic!("waiting for {}: {e}", self.name))
    }

    /// Wait for it to exit; its status and everything it wrote on stderr.
    pub(crate) async fn finish(&mut self) -> (ExitStatus, String) {
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
