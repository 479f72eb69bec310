//! Helpers for the service mapper, one-port, example and browser tests: servers on
//! 127.0.0.1, raw HTTP requests (so a test sends exactly the bytes it means, `..` and all),
//! and the example programs run as child processes.

// Each test file uses a different part of this module.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use rfc6455::ServerOptions;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::TcpStream;
use tokio::process::{Child, ChildStdout, Command};

/// The bound on any single wait: a hang fails instead of blocking.
pub const LIMIT: Duration = Duration::from_secs(30);

/// Await `fut`, failing the test if it takes longer than [`LIMIT`].
pub async fn within<F: Future>(fut: F) -> F::Output {
    match tokio::time::timeout(LIMIT, fut).await {
        Ok(out) => out,
        Err(_) => panic!("timed out after {LIMIT:?}"),
    }
}

/// Server options listening on 127.0.0.1, port 0.
pub fn local() -> ServerOptions {
    ServerOptions::default().listen_addr(Ipv4Addr::LOCALHOST.into())
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate lives in the workspace")
        .to_path_buf()
}

/// The folder of the example page.
pub fn static_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/static")
}

/// An HTTP response read off the wire.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The first header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Send `head` (a request head without the final blank line; `Host` and
/// `Connection: close` are added) and read the whole response.
pub async fn raw_request(addr: SocketAddr, head: &str) -> RawResponse {
    let mut tcp = within(TcpStream::connect(addr)).await.expect("connect");
    let request = format!("{head}\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.expect("write");
    let mut bytes = Vec::new();
    within(tcp.read_to_end(&mut bytes)).await.expect("read");
    parse_response(&bytes)
}

/// `GET {target}` as written (not normalised).
pub async fn get(addr: SocketAddr, target: &str) -> RawResponse {
    raw_request(addr, &format!("GET {target} HTTP/1.1")).await
}

fn parse_response(bytes: &[u8]) -> RawResponse {
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(bytes)));
    let head = std::str::from_utf8(&bytes[..split]).expect("ASCII head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = bytes[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    RawResponse {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = std::str::from_utf8(&data[..end]).unwrap_or("0");
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            return out;
        }
        let start = end + 2;
        out.extend_from_slice(&data[start..start + size]);
        data = &data[start + size + 2..];
    }
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

/// A running example: its process (killed when dropped) and its standard output.
pub struct Running {
    pub child: Child,
    pub stdout: Lines<BufReader<ChildStdout>>,
}

impl Running {
    /// Start example `name` with `args`; stdin is piped, stdout read line by line.
    pub fn start(name: &str, args: &[&str]) -> Self {
        let mut child = Command::new(example(name))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start example {name}: {e}"));
        let stdout = BufReader::new(child.stdout.take().expect("piped")).lines();
        Self { child, stdout }
    }

    /// The next line of output; fails the test at the end of the output or on timeout.
    pub async fn line(&mut self) -> String {
        within(self.stdout.next_line())
            .await
            .expect("read stdout")
            .expect("the example ended its output early")
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

    /// The port in the first line holding `localhost:<port>` (servers print their URL).
    pub async fn port(&mut self) -> u16 {
        let line = self.line_with("localhost:").await;
        self.port_from(&line)
    }

    /// The port after `localhost:` in `line`.
    pub fn port_from(&self, line: &str) -> u16 {
        let rest = &line[line.find("localhost:").expect("found") + "localhost:".len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits
            .parse()
            .unwrap_or_else(|_| panic!("no port in {line:?}"))
    }
}
