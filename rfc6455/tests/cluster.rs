//! The cluster, for real (feature `redis`): `redis-server`, three `chat` example processes
//! and HAProxy with the repository's `deploy/haproxy.cfg`, all on free loopback ports.
//! Clients connected through HAProxy land on different nodes (each says which in its
//! welcome) and see each other's messages in every room; Redis killed and restarted: the
//! nodes subscribe again and traffic resumes; a node stopped (SIGTERM) mid-traffic: its
//! clients get 1001, reconnect through HAProxy onto the other nodes, and everyone keeps
//! talking.

mod support;

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use rfc6455::{CloseCode, WebSocket, connect};
use tokio::process::Command;

use support::peers::{Peer, example, workspace_root};
use support::redis::{RedisServer, free_port, program};
use support::{LIMIT, within};

struct Cluster {
    redis: RedisServer,
    nodes: Vec<(String, Peer)>,
    _haproxy: Peer,
    port: u16,
}

impl Cluster {
    async fn start() -> Self {
        let redis = RedisServer::start().await;
        let mut nodes = Vec::new();
        for i in 1..=3 {
            let id = format!("node{i}");
            let mut command = Command::new(example("chat"));
            command.args(["--port", "0", "--node-id", &id, "--redis", &redis.url()]);
            command.args(["--stop-timeout", "2"]);
            let mut peer = Peer::start(format!("chat {id}"), command, LIMIT);
            peer.port = peer.localhost_port().await;
            nodes.push((id, peer));
        }
        let port = free_port();
        let mut command = Command::new(program("haproxy", "haproxy"));
        command
            .arg("-db")
            .arg("-f")
            .arg(workspace_root().join("deploy/haproxy.cfg"))
            .env("CHAT_BIND", format!("127.0.0.1:{port}"));
        for (i, (_, node)) in nodes.iter().enumerate() {
            command.env(
                format!("CHAT_NODE{}", i + 1),
                format!("127.0.0.1:{}", node.port),
            );
        }
        let haproxy = Peer::start("haproxy", command, LIMIT);
        // HAProxy prints nothing when it is up: wait for its port to accept.
        let up = async {
            while tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_err()
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        within(up).await;
        Self {
            redis,
            nodes,
            _haproxy: haproxy,
            port,
        }
    }

    /// Connect to `room` through HAProxy; the node named in the welcome.
    async fn join(&self, room: &str) -> Client {
        let url = format!("ws://127.0.0.1:{}/chat/{room}", self.port);
        let (mut ws, _) = within(connect(&url)).await.unwrap();
        let welcome = within(ws.recv()).await.unwrap().unwrap();
        let welcome = welcome.as_text().unwrap().to_owned();
        let node = welcome
            .strip_prefix(r#"{"type":"welcome","node":""#)
            .and_then(|rest| rest.strip_suffix(r#""}"#))
            .unwrap_or_else(|| panic!("not a welcome: {welcome}"))
            .to_owned();
        Client {
            ws,
            node,
            room: room.to_owned(),
        }
    }

    /// Wait until every node with a client in each room is subscribed to it in Redis.
    async fn await_subscriptions(&self, clients: &[Client]) {
        for room in ["alpha", "beta"] {
            let nodes: HashSet<&str> = clients
                .iter()
                .filter(|c| c.room == room)
                .map(|c| c.node.as_str())
                .collect();
            let channel = format!("rfc6455:topic:{room}");
            self.redis.await_subscribers(&channel, nodes.len()).await;
        }
    }
}

struct Client {
    ws: WebSocket,
    node: String,
    room: String,
}

/// Every client says something in its room; every client of a room gets what each of
/// its room's clients said, the sender included, and nothing from the other room.
async fn everyone_talks(clients: &mut [Client], round: &str) {
    for (i, client) in clients.iter_mut().enumerate() {
        let text = format!("{round} {} {i}", client.room);
        within(client.ws.send_text(&text)).await.unwrap();
    }
    let expected = |room: &str| -> BTreeSet<String> {
        (0..clients.len())
            .filter(|&i| clients[i].room == room)
            .map(|i| format!("{round} {room} {i}"))
            .collect()
    };
    let (alpha, beta) = (expected("alpha"), expected("beta"));
    for client in clients.iter_mut() {
        let want = if client.room == "alpha" {
            &alpha
        } else {
            &beta
        };
        let mut got = BTreeSet::new();
        while got.len() < want.len() {
            let message = within(client.ws.recv()).await.unwrap().unwrap();
            let text = message.as_text().unwrap().to_owned();
            if text == "in flight" {
                // Sent while a node was stopping (see below): whoever was there has it.
                continue;
            }
            assert!(
                want.contains(&text),
                "{} got {text:?} in {round}",
                client.node
            );
            assert!(got.insert(text), "a message twice");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_behind_haproxy_with_redis() {
    let mut cluster = Cluster::start().await;
    let mut clients = Vec::new();
    for room in ["alpha", "alpha", "alpha", "beta", "beta", "beta"] {
        clients.push(cluster.join(room).await);
    }
    // leastconn spreads them: every node has clients, each room spans nodes.
    let nodes: HashSet<&str> = clients.iter().map(|c| c.node.as_str()).collect();
    assert_eq!(nodes.len(), 3, "clients landed on {nodes:?}");
    for room in ["alpha", "beta"] {
        let spans: HashSet<&str> = clients
            .iter()
            .filter(|c| c.room == room)
            .map(|c| c.node.as_str())
            .collect();
        assert!(spans.len() >= 2, "{room} only on {spans:?}");
    }
    cluster.await_subscriptions(&clients).await;
    everyone_talks(&mut clients, "first").await;

    // Redis killed and started again: the nodes subscribe again, traffic resumes.
    cluster.redis.kill().await;
    cluster.redis.restart().await;
    cluster.await_subscriptions(&clients).await;
    everyone_talks(&mut clients, "after redis").await;

    // A node stopped mid-traffic: its clients get 1001, come back through HAProxy on
    // another node; the others never notice.
    let stopped = clients[0].node.clone();
    let at = cluster
        .nodes
        .iter()
        .position(|(id, _)| *id == stopped)
        .unwrap();
    let pid = cluster.nodes[at].1.child.id().expect("running");
    for client in clients.iter_mut().filter(|c| c.node != stopped) {
        // Traffic while it stops: messages in flight from the survivors.
        within(client.ws.send_text("in flight")).await.unwrap();
    }
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    for client in clients.iter_mut().filter(|c| c.node == stopped) {
        loop {
            match within(client.ws.recv()).await {
                Some(Ok(_)) => continue,
                Some(Err(e)) => panic!("{e}"),
                None => break,
            }
        }
        assert_eq!(client.ws.peer_close_code(), Some(CloseCode::GOING_AWAY));
        *client = cluster.join(&client.room.clone()).await;
        assert_ne!(client.node, stopped, "came back to the stopped node");
    }
    let exit = within(cluster.nodes[at].1.wait()).await;
    assert!(exit.success(), "the stopped node exited with {exit}");
    cluster.await_subscriptions(&clients).await;
    everyone_talks(&mut clients, "after the stop").await;
    for client in clients.iter_mut() {
        within(client.ws.close(CloseCode::NORMAL, ""))
            .await
            .unwrap();
    }
}
