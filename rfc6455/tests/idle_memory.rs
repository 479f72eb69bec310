//! What an idle server connection costs, with the default configuration: 10 000 clients in
//! a child process (this test binary again, with plain blocking sockets, so that none of
//! their memory is counted here) each upgrade with a browser-like request and then send
//! nothing. The growth of this process's resident memory divided by the count is the cost
//! of one idle connection; the counting allocator says where the heap part goes (live
//! bytes, allocations, and the sizes held once per connection). Fails over a bound that
//! holds with margin. Alone in its binary.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use rfc6455::{Config, serve};
use tokio::sync::mpsc;

use support::heap::{Counting, snapshot};
use support::memory::resident_bytes;
use support::server::local;
use support::within;

#[global_allocator]
static HEAP: Counting = Counting;

const CONNECTIONS: usize = 10_000;

/// Resident memory per idle server connection may not exceed this (bytes): with the
/// default configuration, and with `keep_headers(false)`.
const BOUND: usize = 2048;
const BOUND_LEAN: usize = 1600;

/// Set (to `address count`) in the child process that plays the clients.
const CLIENTS_ENV: &str = "RFC6455_IDLE_CLIENTS";

/// An upgrade request such as a browser sends (about 500 bytes of headers).
fn browser_request(addr: &str) -> String {
    format!(
        "GET /chat?room=lobby HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\n\
         Pragma: no-cache\r\nCache-Control: no-cache\r\n\
         User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
         Chrome/156.0.0.0 Safari/537.36\r\nUpgrade: websocket\r\n\
         Origin: http://{addr}\r\nSec-WebSocket-Version: 13\r\n\
         Accept-Encoding: gzip, deflate, br, zstd\r\nAccept-Language: en-US,en;q=0.9\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
    )
}

/// Each of `connections` is one socket in this process.
fn raise_fd_limit(connections: usize) {
    let wanted = connections as u64 + 256;
    let limit = rlimit::increase_nofile_limit(wanted).unwrap();
    assert!(
        limit >= wanted,
        "the file descriptor limit is {limit}, the test needs {wanted}: raise the hard limit"
    );
}

/// The child: open the connections, print `ready` once every one has its 101, and hold
/// them until stdin closes.
#[test]
fn clients() {
    let Ok(spec) = std::env::var(CLIENTS_ENV) else {
        return;
    };
    let (addr, count) = spec.split_once(' ').expect("address count");
    let count: usize = count.parse().expect("count");
    raise_fd_limit(count);
    let request = browser_request(addr);
    let mut held = Vec::with_capacity(count);
    for _ in 0..count {
        let mut tcp = TcpStream::connect(addr).expect("connect");
        tcp.write_all(request.as_bytes()).expect("write");
        let mut head = Vec::new();
        let mut byte = [0];
        while !head.ends_with(b"\r\n\r\n") {
            tcp.read_exact(&mut byte).expect("read the 101");
            head.push(byte[0]);
        }
        assert!(head.starts_with(b"HTTP/1.1 101 "), "{head:?}");
        held.push(tcp);
    }
    println!("ready");
    std::io::stdout().flush().expect("stdout");
    let mut rest = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut rest);
}

/// What one idle server connection costs with `config`: resident bytes, heap bytes, heap
/// allocations, and the allocation sizes held about once per connection.
struct Cost {
    rss: usize,
    heap: f64,
    allocations: f64,
    sizes: Vec<(usize, f64)>,
}

async fn cost(config: Config) -> Cost {
    let (entered, mut entries) = mpsc::unbounded_channel();
    let server = serve(local().config(config), move |mut ws| {
        let entered = entered.clone();
        async move {
            // The echo loop of the README; its first `recv` leaves the connection idle.
            let _ = entered.send(());
            while let Some(Ok(msg)) = ws.recv().await {
                if ws.send(msg).await.is_err() {
                    break;
                }
            }
        }
    })
    .await
    .expect("bind");
    let addr = server.local_addr().to_string();
    let run = |count: usize| {
        let mut child = Command::new(std::env::current_exe().expect("this test binary"))
            .args(["--exact", "clients", "--nocapture", "--test-threads=1"])
            .env(CLIENTS_ENV, format!("{addr} {count}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the client process");
        let stdout = child.stdout.take().expect("stdout");
        // True once the child printed `ready`; its output is read to the end so that it
        // never writes into a closed pipe.
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
            let ready = lines.any(|line| line.ends_with("ready"));
            let _ = tx.send(ready);
            lines.for_each(drop);
        });
        (child, async move { rx.await.unwrap_or(false) })
    };
    // Warm up: the runtime, the allocator's arenas, the server's first connections.
    let (mut warm, ready) = run(200);
    assert!(within(ready).await, "warm-up clients failed");
    for _ in 0..200 {
        within(entries.recv()).await.expect("a handler ran");
    }
    drop(warm.stdin.take());
    assert!(warm.wait().expect("child").success());
    within(async {
        while server.connection_count() > 0 {
            tokio::task::yield_now().await;
        }
    })
    .await;

    let (rss_before, heap_before) = (resident_bytes(), snapshot());
    let (mut child, ready) = run(CONNECTIONS);
    assert!(within(ready).await, "clients failed");
    for _ in 0..CONNECTIONS {
        within(entries.recv()).await.expect("a handler ran");
    }
    assert_eq!(server.connection_count(), CONNECTIONS);
    let rss = resident_bytes().saturating_sub(rss_before) / CONNECTIONS;
    let heap = snapshot().since(&heap_before);
    drop(child.stdin.take());
    assert!(child.wait().expect("child").success());
    server.stop().await;
    let per = |n: isize| n as f64 / CONNECTIONS as f64;
    Cost {
        rss,
        heap: per(heap.bytes),
        allocations: per(heap.count),
        sizes: heap
            .common_sizes(CONNECTIONS as isize / 2)
            .into_iter()
            .map(|(size, n)| (size, per(n)))
            .collect(),
    }
}

/// Set (to `default` or `lean`) in the child process that measures one configuration.
const MEASURE_ENV: &str = "RFC6455_IDLE_MEASURE";

/// The child that measures: one configuration in a fresh process, so that no memory freed
/// by another measurement is reused. Prints `cost RSS HEAP ALLOCATIONS SIZE:COUNT…`.
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn measure() {
    let Ok(which) = std::env::var(MEASURE_ENV) else {
        return;
    };
    let config = match which.as_str() {
        "lean" => Config::default().keep_headers(false),
        _ => Config::default(),
    };
    raise_fd_limit(CONNECTIONS);
    let cost = cost(config).await;
    let sizes: Vec<String> = cost
        .sizes
        .iter()
        .map(|(size, n)| format!("{size}:{n:.2}"))
        .collect();
    println!(
        "cost {} {:.0} {:.2} {}",
        cost.rss,
        cost.heap,
        cost.allocations,
        sizes.join(" ")
    );
}

/// Run [`measure`] in a child process for `which` and read its answer.
fn measured(which: &str) -> Cost {
    let out = Command::new(std::env::current_exe().expect("this test binary"))
        .args(["--exact", "measure", "--nocapture", "--test-threads=1"])
        .env(MEASURE_ENV, which)
        .stderr(Stdio::inherit())
        .output()
        .expect("the measuring process");
    assert!(out.status.success(), "measuring {which} failed");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.split_once("cost ").map(|(_, rest)| rest))
        .unwrap_or_else(|| panic!("no cost line in {text}"));
    let mut fields = line.split_whitespace();
    let mut next = || fields.next().expect("a field");
    let rss = next().parse().expect("rss");
    let heap = next().parse().expect("heap");
    let allocations = next().parse().expect("allocations");
    let sizes = fields
        .map(|f| {
            let (size, n) = f.split_once(':').expect("size:count");
            (size.parse().expect("size"), n.parse().expect("count"))
        })
        .collect();
    Cost {
        rss,
        heap,
        allocations,
        sizes,
    }
}

#[test]
fn idle_server_connection_cost() {
    if std::env::var(MEASURE_ENV).is_ok() || std::env::var(CLIENTS_ENV).is_ok() {
        return;
    }
    let default = measured("default");
    let lean = measured("lean");
    println!("{CONNECTIONS} idle server connections, browser-like requests");
    println!("| | default | keep_headers(false) |");
    println!("|---|--:|--:|");
    println!("| resident memory | {} B | {} B |", default.rss, lean.rss);
    println!(
        "| heap, live | {:.0} B | {:.0} B |",
        default.heap, lean.heap
    );
    println!(
        "| heap allocations | {:.2} | {:.2} |",
        default.allocations, lean.allocations
    );
    for (name, cost) in [("default", &default), ("keep_headers(false)", &lean)] {
        let sizes: Vec<String> = cost
            .sizes
            .iter()
            .map(|(size, n)| format!("{n:.2} × {size} B"))
            .collect();
        println!(
            "allocations held per connection, {name}: {}",
            sizes.join(", ")
        );
    }
    assert!(
        default.rss <= BOUND,
        "an idle server connection costs {} B of resident memory (bound {BOUND} B)",
        default.rss
    );
    assert!(
        lean.rss <= BOUND_LEAN,
        "without its headers, an idle server connection costs {} B (bound {BOUND_LEAN} B)",
        lean.rss
    );
    assert!(
        lean.heap + 400.0 < default.heap,
        "forgetting the headers saves under 400 B: {} against {}",
        lean.heap,
        default.heap
    );
}
