//! Helpers for the service mapper, one-port, example and browser tests: servers on
//! 127.0.0.1 and raw HTTP requests (so a test sends exactly the bytes it means, `..` and
//! all). The example programs run as child processes with `peers::Peer`.

// Each test file uses a different part of this module.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The bound on a peer program's whole run: a hang fails instead of blocking.
pub const LIMIT: Duration = Duration::from_secs(30);

// Servers on 127.0.0.1 and the bound on every wait, as for the loopback tests.
#[path = "../common/mod.rs"]
mod common;
#[allow(unused_imports)] // each test file uses a different part
pub use common::{local, within};

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
