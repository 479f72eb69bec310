//! A small HTTP `CONNECT` proxy run by the test itself (no proxy package is needed): it
//! records what it was asked, can require Basic credentials, and can stay silent.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the test proxy was asked.
#[derive(Debug, Clone)]
pub(crate) struct Connect {
    /// The `CONNECT` request's target, `host:port`.
    pub(crate) target: String,
    /// Its `Proxy-Authorization` value.
    pub(crate) authorization: Option<String>,
}

/// A small HTTP proxy: answers `CONNECT host:port` with 200 and then copies bytes both
/// ways; with `credentials`, wants `Proxy-Authorization: Basic <credentials>` and answers
/// 407 otherwise; `silent` never answers.
pub(crate) struct TestProxy {
    /// The port it listens on (127.0.0.1).
    pub(crate) port: u16,
    connects: Arc<Mutex<Vec<Connect>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestProxy {
    pub(crate) async fn start(credentials: Option<&'static str>, silent: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connects = Arc::new(Mutex::new(Vec::new()));
        let log = connects.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let log = log.clone();
                tokio::spawn(async move {
                    let _ = proxy_one(client, credentials, silent, log).await;
                });
            }
        });
        Self {
            port,
            connects,
            task,
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub(crate) fn connects(&self) -> Vec<Connect> {
        self.connects.lock().unwrap().clone()
    }
}

async fn proxy_one(
    mut client: TcpStream,
    credentials: Option<&'static str>,
    silent: bool,
    log: Arc<Mutex<Vec<Connect>>>,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte).await? == 0 || head.len() > 8192 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let authorization = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("proxy-authorization"))
        .map(|(_, value)| value.trim().to_owned());
    let mut parts = request_line.split(' ');
    let (Some("CONNECT"), Some(target)) = (parts.next(), parts.next()) else {
        client
            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            .await?;
        return Ok(());
    };
    log.lock().unwrap().push(Connect {
        target: target.to_owned(),
        authorization: authorization.clone(),
    });
    if silent {
        // Hold the connection, answering nothing, until the test ends.
        return std::future::pending().await;
    }
    if let Some(credentials) = credentials
        && authorization.as_deref() != Some(&format!("Basic {credentials}"))
    {
        let body = "proxy credentials required\n";
        let answer = format!(
            "HTTP/1.1 407 Proxy Authentication Required\r\n\
             Proxy-Authenticate: Basic realm=\"test proxy\"\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        client.write_all(answer.as_bytes()).await?;
        return Ok(());
    }
    let Ok(mut upstream) = TcpStream::connect(target).await else {
        client
            .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            .await?;
        return Ok(());
    };
    client
        .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        .await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}
