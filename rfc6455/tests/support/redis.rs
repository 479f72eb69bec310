//! A real `redis-server` (Debian's, installed by `scripts/install-peers.sh`) on a free
//! loopback port, for the backplane and cluster tests: started, killed and started again
//! on the same port. A missing `redis-server` fails the test with the fix.

use std::net::{Ipv4Addr, TcpListener};
use std::process::Stdio;

use tokio::process::Command;

use super::LIMIT;
use super::peers::Peer;

/// A free port on 127.0.0.1 (bound, read, released).
pub(crate) fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.local_addr().unwrap().port()
}

/// `name` on the PATH, or a failure that says how to install it.
pub(crate) fn program(name: &str, package: &str) -> std::path::PathBuf {
    for dir in ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"] {
        let path = std::path::Path::new(dir).join(name);
        if path.is_file() {
            return path;
        }
    }
    panic!("{name} is not installed: run scripts/install-peers.sh (Debian's {package})")
}

/// A `redis-server` child process, killed when dropped.
pub(crate) struct RedisServer {
    pub(crate) port: u16,
    peer: Option<Peer>,
}

impl RedisServer {
    /// Start one on a free port and wait until it accepts connections.
    pub(crate) async fn start() -> Self {
        let mut server = Self {
            port: free_port(),
            peer: None,
        };
        server.restart().await;
        server
    }

    /// `redis://127.0.0.1:<port>/`.
    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kill it (SIGKILL: no goodbye to its clients) and wait for it to be gone.
    pub(crate) async fn kill(&mut self) {
        if let Some(mut peer) = self.peer.take() {
            peer.child.kill().await.unwrap();
        }
    }

    /// Start it (again) on its port and wait until it accepts connections.
    pub(crate) async fn restart(&mut self) {
        self.kill().await;
        let mut command = Command::new(program("redis-server", "redis-server"));
        command
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
            .stdin(Stdio::null());
        let mut peer = Peer::start(format!("redis-server :{}", self.port), command, LIMIT);
        peer.line_with("Ready to accept connections").await;
        self.peer = Some(peer);
    }

    /// How many clients are subscribed to `channel` (`PUBSUB NUMSUB`).
    pub(crate) async fn subscribers(&self, channel: &str) -> usize {
        let client = redis::Client::open(self.url()).unwrap();
        let mut connection = client.get_multiplexed_async_connection().await.unwrap();
        let (_, count): (String, usize) = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(channel)
            .query_async(&mut connection)
            .await
            .unwrap();
        count
    }

    /// Wait (polling the server, within [`LIMIT`]) until `channel` has `count` subscribers.
    pub(crate) async fn await_subscribers(&self, channel: &str, count: usize) {
        let wait = async {
            while self.subscribers(channel).await != count {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        };
        if tokio::time::timeout(LIMIT, wait).await.is_err() {
            panic!("{channel} never had {count} subscribers");
        }
    }
}
