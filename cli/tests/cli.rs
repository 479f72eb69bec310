//! The `rfc6455` binary driven as a process: pipes, JSON, exit codes, refused handshakes,
//! TLS, `--exec`, `--broadcast`, completions and the man page. Real peers only (our own
//! `serve`, Python `websockets`, Node `ws`); a missing peer fails the test.

// The library's shared test support (its `cfg(feature = "axum")` names a library feature).
#[allow(unexpected_cfgs)]
#[path = "../../rfc6455/tests/support/mod.rs"]
mod support;

use std::process::Stdio;

use rfc6455::Message;
use support::LIMIT;
use support::peers::{Output, Peer, interop_script, node, python, run_scenario};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_rfc6455");

/// `rfc6455 serve --listen 127.0.0.1 --port 0 ARGS…`, once it listens (its port read from
/// its `listening on` line).
async fn serve(args: &[&str]) -> Peer {
    let mut command = Command::new(BIN);
    command
        .args(["serve", "--listen", "127.0.0.1", "--port", "0"])
        .args(args)
        .stdin(Stdio::null());
    let mut peer = Peer::start(format!("rfc6455 serve {}", args.join(" ")), command, LIMIT);
    let line = peer.line_with("listening on").await;
    let port = line
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    peer.port = port;
    peer
}

/// `rfc6455 connect ARGS…` with `stdin` as its standard input, run to its end.
async fn connect(args: &[&str], stdin: &[u8]) -> Output {
    connect_in(&mut Command::new(BIN), args, stdin).await
}

/// [`connect`] with `command` (the binary, with its environment set by the caller).
async fn connect_in(command: &mut Command, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = command
        .arg("connect")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("rfc6455 starts");
    let mut input = child.stdin.take().expect("piped stdin");
    input.write_all(stdin).await.expect("stdin written");
    drop(input);
    let output = tokio::time::timeout(LIMIT, child.wait_with_output())
        .await
        .expect("rfc6455 connect finishes")
        .expect("rfc6455 connect runs");
    captured(output)
}

/// A finished process's status and outputs, as text.
fn captured(output: std::process::Output) -> Output {
    Output {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The exit code, with both outputs in the failure message.
fn code(output: &Output) -> i32 {
    output
        .status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal:\n{}\n{}", output.stdout, output.stderr))
}

fn assert_code(output: &Output, expected: i32) {
    assert_eq!(
        code(output),
        expected,
        "exit code\n--- stdout\n{}--- stderr\n{}",
        output.stdout,
        output.stderr
    );
}

fn url(peer: &Peer) -> String {
    format!("ws://127.0.0.1:{}/", peer.port)
}

// ------------------------------------------------------------------ the pipe

#[tokio::test]
async fn lines_are_messages_and_replies_are_lines() {
    let server = serve(&[]).await;
    // Under a loaded machine replies may lag: a generous quiet period before our close.
    let output = connect(
        &["--linger", "3", &url(&server)],
        b"hello\nw\xc3\xb6rld\r\n\nlast without newline",
    )
    .await;
    assert_code(&output, 0);
    assert_eq!(output.stdout, "hello\nwörld\n\nlast without newline\n");
    assert!(
        output.stderr.contains("closed by the peer: 1000"),
        "{}",
        output.stderr
    );
}

#[tokio::test]
async fn whole_binary_is_one_message_returned_byte_for_byte() {
    let server = serve(&[]).await;
    let data: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let mut child = Command::new(BIN)
        .args([
            "connect",
            "--whole",
            "--binary",
            "--one-message",
            &url(&server),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(&data).await.unwrap();
    drop(input);
    let output = tokio::time::timeout(LIMIT, child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.stdout, data);
}

#[tokio::test]
async fn json_lines_carry_time_kind_size_and_payload() {
    let server = serve(&[]).await;
    let output = connect(
        &["--json", "--one-message", &url(&server)],
        "héllo\n".as_bytes(),
    )
    .await;
    assert_code(&output, 0);
    let line: serde_json::Value = serde_json::from_str(output.stdout.trim()).unwrap();
    assert_eq!(line["kind"], "text");
    assert_eq!(line["size"], 6);
    assert_eq!(line["payload"], "héllo");
    assert!(line["time"].as_f64().unwrap() > 1.7e9);

    let output = connect(
        &[
            "--json",
            "--binary",
            "--whole",
            "--one-message",
            &url(&server),
        ],
        b"\x00\xff",
    )
    .await;
    assert_code(&output, 0);
    let line: serde_json::Value = serde_json::from_str(output.stdout.trim()).unwrap();
    assert_eq!(line["kind"], "binary");
    assert_eq!(line["size"], 2);
    assert_eq!(line["payload"], "AP8=");
}

#[tokio::test]
async fn one_message_exits_after_the_first_reply_with_our_close_code() {
    let server = serve(&[]).await;
    let output = connect(
        &[
            "--one-message",
            "--close-code",
            "4000",
            "--close-reason",
            "bye",
            &url(&server),
        ],
        b"first\nsecond\n",
    )
    .await;
    assert_code(&output, 0);
    assert_eq!(output.stdout, "first\n");
    assert!(
        output.stderr.contains("closed by the peer: 4000"),
        "{}",
        output.stderr
    );
}

#[tokio::test]
async fn text_that_is_not_utf8_is_a_local_error() {
    let server = serve(&[]).await;
    let output = connect(&[&url(&server)], b"\xff\n").await;
    assert_code(&output, 1);
    assert!(output.stderr.contains("--binary"), "{}", output.stderr);
}

#[tokio::test]
async fn ctrl_c_closes_with_our_close_code() {
    use tokio::io::AsyncBufReadExt as _;
    let server = serve(&[]).await;
    let mut child = Command::new(BIN)
        .args(["connect", "--close-code", "4001", &url(&server)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(b"ready\n").await.unwrap();
    // The echo is back: the connection is up and the pipe is running.
    let mut stdout = tokio::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    support::within(stdout.read_line(&mut line)).await.unwrap();
    assert_eq!(line, "ready\n");
    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let output = tokio::time::timeout(LIMIT, child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    drop(input);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("closed by the peer: 4001 (the answer to our close)"),
        "{stderr}"
    );
}

// ------------------------------------------------------------------ exit codes

#[tokio::test]
async fn a_refused_handshake_shows_status_headers_and_body_and_exits_3() {
    let server = serve(&["--max-connections", "0"]).await;
    let output = connect(&[&url(&server)], b"").await;
    assert_code(&output, 3);
    assert!(output.stderr.contains("HTTP 503"), "{}", output.stderr);
    assert!(
        output.stderr.contains("too many connections"),
        "{}",
        output.stderr
    );
}

#[tokio::test]
async fn a_closed_port_is_a_network_error() {
    // Bind, learn a free port, close it: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = connect(&[&format!("ws://127.0.0.1:{port}/")], b"").await;
    assert_code(&output, 5);
}

#[tokio::test]
async fn the_peers_error_close_code_exits_4_and_is_printed() {
    let server = Peer::python_echo_server(LIMIT).await;
    let output = connect(
        &[&format!("ws://127.0.0.1:{}/", server.port)],
        b"close-me\n",
    )
    .await;
    assert_code(&output, 4);
    assert!(
        output.stderr.contains("4000 server says bye"),
        "{}",
        output.stderr
    );
}

#[tokio::test]
async fn a_bad_command_line_exits_2_and_a_bad_close_code_1() {
    let output = connect(&[], b"").await;
    assert_code(&output, 2);
    let output = connect(&["--close-code", "1005", "ws://127.0.0.1:1/"], b"").await;
    assert_code(&output, 1);
}

#[tokio::test]
async fn compress_negotiates_permessage_deflate_on_both_ends() {
    let server = serve(&["--compress", "-v"]).await;
    let big = format!("{}\n", r#"{"price":1,"currency":"EUR"}"#.repeat(50));
    let output = connect(
        &["--compress", "--one-message", &url(&server)],
        big.as_bytes(),
    )
    .await;
    assert_code(&output, 0);
    assert_eq!(output.stdout, big);
    assert!(
        output.stderr.contains("permessage-deflate"),
        "the agreement is reported: {}",
        output.stderr
    );
}

#[tokio::test]
async fn a_message_over_max_message_closes_with_1009() {
    let server = serve(&[]).await;
    let output = connect(&["--max-message", "4", &url(&server)], b"12345\n").await;
    assert_code(&output, 4);
}

#[tokio::test]
async fn a_bad_header_is_a_local_error() {
    let output = connect(&["-H", "no colon here", "ws://127.0.0.1:1/"], b"").await;
    assert_code(&output, 1);
    assert!(output.stderr.contains("Name: value"), "{}", output.stderr);
}

#[tokio::test]
async fn ping_interval_pings_and_the_connection_carries_on() {
    let server = serve(&["-v"]).await;
    // stdin stays open past a few pings: the messages still come back.
    let mut child = Command::new(BIN)
        .args([
            "connect",
            "--ping-interval",
            "0.05",
            "--one-message",
            &url(&server),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    input.write_all(b"after pings\n").await.unwrap();
    let output = tokio::time::timeout(LIMIT, child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    drop(input);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.stdout, b"after pings\n");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("ping: "),
        "each ping's round trip: {stderr}"
    );
}

// ------------------------------------------------------------------ static files

#[tokio::test]
async fn static_serves_the_demo_page_or_a_folder_on_the_same_port() {
    let server = serve(&["--static"]).await;
    let addr = format!("127.0.0.1:{}", server.port).parse().unwrap();
    let page = support::http::get(addr, "/").await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("client.js"), "{}", page.text());
    assert_eq!(support::http::get(addr, "/client.js").await.status, 200);
    assert_eq!(support::http::get(addr, "/nothing").await.status, 404);
    // WebSockets on the same port.
    let output = connect(&["--one-message", &url(&server)], b"still echoes\n").await;
    assert_eq!(output.stdout, "still echoes\n");

    let dir = std::env::temp_dir().join(format!("rfc6455-cli-static-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hello.txt"), "hello from a folder").unwrap();
    let server = serve(&["--static", dir.to_str().unwrap()]).await;
    let addr = format!("127.0.0.1:{}", server.port).parse().unwrap();
    let file = support::http::get(addr, "/hello.txt").await;
    assert_eq!(file.status, 200);
    assert_eq!(file.text(), "hello from a folder");
    let _ = std::fs::remove_dir_all(&dir);
}

// ------------------------------------------------------------------ TLS

#[cfg(feature = "tls")]
#[tokio::test]
async fn tls_with_a_test_ca_and_insecure_without_it() {
    let pki = support::tls::Pki::new();
    let cert = pki.dir.join("cert.pem");
    let key = pki.dir.join("key.pem");
    let ca = pki.dir.join("ca.pem");
    let server = serve(&[
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ])
    .await;
    let wss = format!("wss://localhost:{}/", server.port);

    let output = connect(
        &["--one-message", "--ca", ca.to_str().unwrap(), &wss],
        b"secret\n",
    )
    .await;
    assert_code(&output, 0);
    assert_eq!(output.stdout, "secret\n");

    let output = connect(&[&wss], b"secret\n").await;
    assert_code(&output, 5);
    assert_eq!(output.stdout, "");

    let output = connect(&["--one-message", "--insecure", &wss], b"secret\n").await;
    assert_code(&output, 0);
    assert_eq!(output.stdout, "secret\n");
    assert!(
        output.stderr.contains("WARNING: --insecure"),
        "{}",
        output.stderr
    );
}

// ------------------------------------------------------------------ HTTP/2

#[tokio::test]
async fn h2c_on_both_ends_carries_the_websocket_as_an_http2_stream() {
    let server = serve(&["--h2c"]).await;
    let output = connect(&["--one-message", "--h2c", &url(&server)], b"over h2c\n").await;
    assert_code(&output, 0);
    assert_eq!(output.stdout, "over h2c\n");
    assert!(output.stderr.contains("(HTTP/2)"), "{}", output.stderr);
    // The same port still upgrades HTTP/1.1; --http2 on ws:// stays HTTP/1.1.
    let output = connect(&["--one-message", "--http2", &url(&server)], b"h1\n").await;
    assert_code(&output, 0);
    assert_eq!(output.stdout, "h1\n");
    assert!(!output.stderr.contains("HTTP/2"), "{}", output.stderr);
    // Without --h2c the server speaks HTTP/1.1 only: --h2c fails with a network error.
    let plain = serve(&[]).await;
    let output = connect(&["--h2c", &url(&plain)], b"").await;
    assert_code(&output, 5);
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn http2_over_tls_is_chosen_by_alpn() {
    let pki = support::tls::Pki::new();
    let cert = pki.dir.join("cert.pem");
    let key = pki.dir.join("key.pem");
    let ca = pki.dir.join("ca.pem");
    let server = serve(&[
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ])
    .await;
    let wss = format!("wss://localhost:{}/", server.port);
    let ca = ca.to_str().unwrap();
    let output = connect(&["--one-message", "--http2", "--ca", ca, &wss], b"h2\n").await;
    assert_code(&output, 0);
    assert_eq!(output.stdout, "h2\n");
    assert!(output.stderr.contains("(HTTP/2)"), "{}", output.stderr);
    let output = connect(&["--one-message", "--ca", ca, &wss], b"h1\n").await;
    assert_code(&output, 0);
    assert!(!output.stderr.contains("HTTP/2"), "{}", output.stderr);
}

// ------------------------------------------------------------------ --exec

#[tokio::test]
async fn exec_cat_bridges_lines_both_ways() {
    let server = serve(&["--exec", "cat"]).await;
    let output = connect(&["--linger", "3", &url(&server)], b"one\ntwo\n").await;
    assert_code(&output, 0);
    assert_eq!(output.stdout, "one\ntwo\n");
}

#[tokio::test]
async fn exec_wc_counts_what_it_was_sent_and_its_end_closes_with_1000() {
    // `head -n 2` ends wc's input after two lines: wc prints the count and exits, which
    // ends the connection from the server's side.
    let server = serve(&["--exec", "head -n 2 | wc -c"]).await;
    let output = connect(&["--linger", "30", &url(&server)], b"hello\nworld\n").await;
    assert_code(&output, 0);
    assert_eq!(output.stdout.trim(), "12");
    assert!(
        output.stderr.contains("closed by the peer: 1000"),
        "{}",
        output.stderr
    );
}

#[tokio::test]
async fn a_program_exiting_early_with_an_error_closes_with_1011() {
    let server = serve(&["--exec", "echo started; exit 3"]).await;
    let output = connect(&["--linger", "30", &url(&server)], b"").await;
    assert_code(&output, 4);
    assert_eq!(output.stdout, "started\n");
    assert!(output.stderr.contains("1011"), "{}", output.stderr);
}

#[tokio::test]
async fn the_end_of_the_socket_ends_the_program() {
    let pid_file = std::env::temp_dir().join(format!("rfc6455-cli-exec-{}", std::process::id()));
    let _ = std::fs::remove_file(&pid_file);
    let command = format!(
        "echo $$ > {}; echo started; exec sleep 600",
        pid_file.display()
    );
    let server = serve(&["--exec", &command]).await;
    // Wait for the program's first line (it has started), then close.
    let output = connect(&["--one-message", &url(&server)], b"").await;
    assert_code(&output, 0);
    assert_eq!(output.stdout, "started\n");
    // The program started; once the socket has ended it must be gone (polled, bounded).
    let start = tokio::time::Instant::now();
    let pid = loop {
        if let Ok(pid) = std::fs::read_to_string(&pid_file)
            && pid.ends_with('\n')
        {
            break pid.trim().to_owned();
        }
        assert!(start.elapsed() < LIMIT, "no pid file from the program");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let proc = std::path::PathBuf::from(format!("/proc/{pid}"));
    while proc.exists()
        && !std::fs::read_to_string(proc.join("stat"))
            .unwrap_or_default()
            .contains(") Z ")
    {
        assert!(start.elapsed() < LIMIT, "the program outlived its socket");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let _ = std::fs::remove_file(&pid_file);
}

// ------------------------------------------------------------------ --broadcast

#[tokio::test]
async fn broadcast_sends_every_message_to_every_client() {
    let server = serve(&["--broadcast"]).await;
    let mut clients = Vec::new();
    for _ in 0..3 {
        let (ws, _) = support::within(rfc6455::connect(&url(&server)))
            .await
            .unwrap();
        clients.push(ws);
    }
    // Messages from different clients may cross: one at a time.
    for (from, text) in [(0, "from the first"), (2, "from the third")] {
        clients[from].send_text(text).await.unwrap();
        for ws in &mut clients {
            let got = support::within(ws.recv()).await.unwrap().unwrap();
            assert_eq!(got, Message::text(text));
        }
    }
}

#[tokio::test]
async fn hybi00_clients_are_served_with_the_flag_only() {
    let options = rfc6455::ClientOptions::default().variant(rfc6455::Variant::Hybi00);
    let server = serve(&["--hybi00"]).await;
    let (mut ws, _) = support::within(rfc6455::connect_with(&url(&server), options.clone()))
        .await
        .unwrap();
    ws.send_text("draft-76").await.unwrap();
    let echo = support::within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(echo, Message::text("draft-76"));

    let server = serve(&[]).await;
    let refused = support::within(rfc6455::connect_with(&url(&server), options)).await;
    assert!(refused.is_err(), "a hybi-00 client served without --hybi00");
}

#[tokio::test]
async fn headers_origin_and_the_environments_proxy_reach_the_server() {
    // Our server in this process: its hook sends the request's headers to the test.
    let (seen_tx, mut seen) = tokio::sync::mpsc::unbounded_channel();
    let server = rfc6455::serve_with_hook(
        support::server::local(),
        move |handshake: &mut rfc6455::Handshake<'_>| {
            let headers = handshake.request().headers();
            let value = |name: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let _ = seen_tx.send((value("x-token"), value("origin")));
            Ok(())
        },
        |ws, ()| support::server::echo(ws),
    )
    .await
    .unwrap();
    let proxy = support::proxy::TestProxy::start(None, false).await;
    let port = server.local_addr().port();
    let mut command = Command::new(BIN);
    command
        .env("HTTP_PROXY", proxy.url())
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env_remove("ALL_PROXY");
    let target = format!("ws://127.0.0.1:{port}/");
    let args = [
        "-H",
        "X-Token: t0k3n",
        "--origin",
        "https://app.example",
        "--linger",
        "3",
        &target,
    ];
    let output = connect_in(&mut command, &args, b"through\n").await;
    assert_code(&output, 0);
    assert_eq!(output.stdout, "through\n");
    assert_eq!(
        seen.recv().await.unwrap(),
        (
            Some("t0k3n".to_owned()),
            Some("https://app.example".to_owned())
        )
    );
    let connects = proxy.connects();
    assert_eq!(connects.len(), 1, "through the proxy: {connects:?}");
    assert_eq!(connects[0].target, format!("127.0.0.1:{port}"));
}

// ------------------------------------------------------------------ bench

/// `rfc6455 bench ARGS…` run to its end (stdin and stdout are pipes, not a terminal).
async fn bench(args: &[&str]) -> Output {
    let output = tokio::time::timeout(
        LIMIT,
        Command::new(BIN)
            .arg("bench")
            .args(args)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("rfc6455 bench finishes")
    .expect("rfc6455 bench runs");
    captured(output)
}

/// The `--json` report of a bench run that exited 0.
fn bench_report(output: &Output) -> serde_json::Value {
    assert_code(output, 0);
    serde_json::from_str(output.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", output.stdout))
}

#[tokio::test]
async fn bench_counts_every_echo_against_serve_and_a_python_server() {
    let ours = serve(&["-q"]).await;
    let python = Peer::python_echo_server(LIMIT).await;
    for (server, kind, extra) in [
        (&ours, "text", None),
        (&ours, "binary", Some("--binary")),
        (&python, "text", None),
    ] {
        let mut args = vec!["--json", "-c", "20", "-n", "50", "-s", "1k", "-k", "4"];
        args.extend(extra);
        let target = url(server);
        args.push(&target);
        let report = bench_report(&bench(&args).await);
        assert_eq!(report["messages"], 1000, "{}: {report}", server.name);
        assert_eq!(report["kind"], kind);
        assert_eq!(report["errors"], 0);
        assert_eq!(report["ok"], true);
        let histogram: u64 = report["histogram_us"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["count"].as_u64().unwrap())
            .sum();
        assert_eq!(histogram, 1000, "every latency is in the histogram");
    }
}

#[tokio::test]
async fn bench_for_a_duration_prints_a_summary_and_no_progress_line_in_a_pipe() {
    let server = serve(&["-q"]).await;
    let output = bench(&["-c", "4", "-d", "0.5", "-w", "0.1", &url(&server)]).await;
    assert_code(&output, 0);
    assert!(
        output.stdout.contains("4 connections, 20 B text messages"),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains("latency histogram:"),
        "{}",
        output.stdout
    );
    assert!(output.stdout.contains("errors     0"), "{}", output.stdout);
    assert!(
        !output.stderr.contains('\r'),
        "a progress line in a pipe: {:?}",
        output.stderr
    );
    let churn = bench(&[
        "--churn",
        "-c",
        "2",
        "-d",
        "0.3",
        "-w",
        "0.1",
        "--json",
        &url(&server),
    ])
    .await;
    let report = bench_report(&churn);
    assert_eq!(report["mode"], "churn");
    assert!(report["messages"].as_u64().unwrap() > 0, "{report}");
}

#[tokio::test]
async fn bench_compress_checks_every_inflated_echo_and_counts_the_bytes_on_the_wire() {
    let compressing = serve(&["-q", "--compress"]).await;
    let report = bench_report(
        &bench(&[
            "--json",
            "--compress",
            "-c",
            "4",
            "-n",
            "25",
            "-s",
            "2k",
            &url(&compressing),
        ])
        .await,
    );
    assert_eq!(report["messages"], 100, "{report}");
    assert_eq!(report["wire"]["compressed_echoes"], 100, "{report}");
    let out = report["wire"]["out_per_message"].as_f64().unwrap();
    assert!(
        out < 1024.0,
        "2 KiB of JSON should go out compressed: {out} B"
    );
    // A server without compression refuses the extension: the run fails as refused.
    let plain = serve(&["-q"]).await;
    let output = bench(&["--compress", "-c", "1", "-n", "1", &url(&plain)]).await;
    assert_code(&output, 3);
    assert!(
        output.stderr.contains("permessage-deflate"),
        "{}",
        output.stderr
    );
}

#[tokio::test]
async fn bench_exits_1_on_a_wrong_echo_3_on_a_refusal_and_5_without_a_server() {
    // A server whose "echo" has every `a` upper-cased: every echo is wrong.
    let shouting = serve(&["-q", "--exec", "sed -u s/a/A/g"]).await;
    let output = bench(&["--json", "-c", "2", "-n", "3", &url(&shouting)]).await;
    assert_code(&output, 1);
    let report: serde_json::Value = serde_json::from_str(output.stdout.trim()).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["errors"], 2, "{report}");

    // A server that refuses every upgrade.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let refusing = tokio::spawn(async move {
        loop {
            let (mut tcp, _) = listener.accept().await.unwrap();
            let mut head = [0u8; 1024];
            let _ = tokio::io::AsyncReadExt::read(&mut tcp, &mut head).await;
            let _ = tcp
                .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                .await;
        }
    });
    let output = bench(&["-c", "1", "-n", "1", &format!("ws://127.0.0.1:{port}/")]).await;
    assert_code(&output, 3);
    assert!(output.stderr.contains("404"), "{}", output.stderr);
    refusing.abort();

    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    assert_code(
        &bench(&["-c", "1", "-n", "1", &format!("ws://127.0.0.1:{port}/")]).await,
        5,
    );
    assert_code(&bench(&["wss://127.0.0.1:1/"]).await, 2);
}

// ------------------------------------------------------------------ interop

#[tokio::test]
async fn connect_against_python_and_node_echo_servers() {
    for server in [
        Peer::python_echo_server(LIMIT).await,
        Peer::node_echo_server(LIMIT).await,
    ] {
        let output = connect(
            &[
                "--linger",
                "3",
                "--protocol",
                "chat",
                &format!("ws://127.0.0.1:{}/", server.port),
            ],
            b"hello\nagain\n",
        )
        .await;
        assert_code(&output, 0);
        assert_eq!(output.stdout, "hello\nagain\n", "{}", server.name);
        assert!(
            output.stderr.contains("subprotocol chat"),
            "{}",
            output.stderr
        );
    }
}

#[tokio::test]
async fn python_and_node_clients_against_serve() {
    let server = serve(&["--protocol", "chat"]).await;
    for scenario in ["text", "binary", "close", "subprotocol"] {
        let mut command = Command::new(python());
        command
            .arg(interop_script("ws_client.py"))
            .arg(url(&server))
            .arg(scenario);
        run_scenario(command, "ws_client.py", scenario, LIMIT).await;
    }
    for (scenario, arg) in [
        ("sizes", Some("0,1,125,126,65535,65536,1000000")),
        ("close", None),
        ("subprotocol", None),
    ] {
        let mut command = Command::new(node());
        command
            .arg(interop_script("ws_client.mjs"))
            .arg(url(&server))
            .arg(scenario)
            .args(arg);
        run_scenario(command, "ws_client.mjs", scenario, LIMIT).await;
    }
}

// ------------------------------------------------------------------ completions, man

#[tokio::test]
async fn completions_and_man_page_come_from_the_same_definitions() {
    for shell in ["bash", "zsh", "fish"] {
        let output = support::peers::run(
            {
                let mut c = Command::new(BIN);
                c.args(["completions", shell]);
                c
            },
            "completions",
            LIMIT,
        )
        .await;
        output.assert_success(shell);
        assert!(output.stdout.contains("one-message"), "{shell}");
    }
    let mut c = Command::new(BIN);
    c.arg("man");
    let output = support::peers::run(c, "man", LIMIT).await;
    output.assert_success("man");
    assert!(output.stdout.starts_with(".ie") || output.stdout.contains(".TH"));
    assert!(output.stdout.contains("connect"));
    let mut c = Command::new(BIN);
    c.args(["man", "connect"]);
    let output = support::peers::run(c, "man connect", LIMIT).await;
    output.assert_success("man connect");
    assert!(
        output.stdout.contains("rfc6455\\-connect"),
        "{}",
        output.stdout
    );
    assert!(output.stdout.contains("one\\-message"), "{}", output.stdout);
}

// ------------------------------------------------------------------ interactive, in tmux

/// A tmux server of its own (`tmux -L`), killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// A detached 100×20 session running `command` in `sh`.
    fn start(command: &str) -> Self {
        let socket = format!("rfc6455-cli-test-{}", std::process::id());
        let tmux = Self { socket };
        tmux.run(&["new-session", "-d", "-x", "100", "-y", "20", command]);
        tmux
    }

    fn run(&self, args: &[&str]) -> String {
        let output = std::process::Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap_or_else(|e| {
                panic!("tmux does not run ({e}): install it (Debian: apt-get install tmux)")
            });
        assert!(
            output.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Type `keys` (tmux key names: `Enter`, `C-u`, or literal text).
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "0"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// The screen, once `want` holds for it (polled, within the tests' bound).
    async fn screen_when(&self, what: &str, want: impl Fn(&str) -> bool) -> String {
        let start = tokio::time::Instant::now();
        loop {
            let screen = self.run(&["capture-pane", "-p", "-t", "0"]);
            if want(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < LIMIT,
                "the screen never showed {what}:\n{screen}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = std::process::Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

/// The screen's lines with text, without the trailing blank ones.
fn last_line(screen: &str) -> &str {
    screen.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("")
}

#[tokio::test]
async fn interactive_session_in_a_real_terminal() {
    let server = serve(&["--broadcast"]).await;
    let tmux = Tmux::start(&format!(
        "{BIN} connect {}; echo EXIT=$?; sleep 600",
        url(&server)
    ));
    tmux.screen_when("the prompt", |s| s.contains("type a message"))
        .await;

    // A line typed is a message; the room sends it back.
    tmux.keys(&["hello there", "Enter"]);
    tmux.screen_when("the echo", |s| s.contains("< hello there"))
        .await;

    // A message arriving while a line is half typed is printed above it.
    tmux.keys(&["half-typ"]);
    tmux.screen_when("the half line", |s| last_line(s) == "> half-typ")
        .await;
    let (mut other, _) = support::within(rfc6455::connect(&url(&server)))
        .await
        .unwrap();
    other.send_text("from another client").await.unwrap();
    let screen = tmux
        .screen_when("the other client's message", |s| {
            s.contains("< from another client")
        })
        .await;
    assert_eq!(last_line(&screen), "> half-typ", "{screen}");
    tmux.keys(&["C-u"]);

    tmux.keys(&["/ping", "Enter"]);
    tmux.screen_when("the ping's round trip", |s| s.contains("pong: round trip"))
        .await;

    tmux.keys(&["/binary 00ff10", "Enter"]);
    tmux.screen_when("the binary echo", |s| {
        s.contains("< binary, 3 bytes: 00ff10")
    })
    .await;

    // /close 4000 bye ends the session with that code: the answer to our close, exit 0.
    tmux.keys(&["/close 4000 bye", "Enter"]);
    let screen = tmux.screen_when("the end", |s| s.contains("EXIT=")).await;
    assert!(screen.contains("closed by the peer: 4000"), "{screen}");
    assert!(screen.contains("EXIT=0"), "{screen}");
}
