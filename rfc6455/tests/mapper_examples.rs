//! The examples of the service-mapper issue, run as programs and their output checked:
//! `test-service-mapper`, `demo-server`, `time-server` with `time-client-select` and
//! `time-client-tasks`, `cat`, and (feature `axum`) `axum-echo`.
//!
//! The programs are the ones `cargo test --all-targets` (or `cargo build --examples`)
//! builds; a missing one fails the test with that advice.

mod support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use rfc6455::{ClientOptions, CloseCode, WebSocket, serve};
use tokio::io::AsyncWriteExt;

use support::http::get;
use support::peers::Peer;
use support::server::local;
use support::within;

async fn next_text(ws: &mut WebSocket) -> String {
    within(ws.recv())
        .await
        .expect("a message")
        .expect("no error")
        .as_text()
        .expect("text")
        .to_owned()
}

/// Talk to the test service: greeting answered, a tick, goodbye, the close.
async fn test_service_exchange(ws: &mut WebSocket) {
    ws.send_text("hello").await.unwrap();
    let mut saw_answer = false;
    let mut saw_tick = false;
    while !(saw_answer && saw_tick) {
        match next_text(ws).await.as_str() {
            r#"You said: "hello""# => saw_answer = true,
            "Waited another second" => saw_tick = true,
            other => panic!("unexpected {other:?}"),
        }
    }
    ws.send_text("goodbye").await.unwrap();
    loop {
        if next_text(ws).await == "Goodbye!" {
            break;
        }
    }
    assert!(within(ws.recv()).await.is_none(), "closed after Goodbye!");
    assert_eq!(ws.peer_close_code(), Some(CloseCode::NORMAL));
}

#[tokio::test]
async fn test_service_mapper_routes_by_subprotocol() {
    let mut server = Peer::example("test-service-mapper", &["--port", "0"]);
    let port = server.localhost_port().await;
    let url = format!("ws://127.0.0.1:{port}/test");

    let (mut ws, _) = within(rfc6455::connect(&url)).await.unwrap();
    assert_eq!(ws.subprotocol(), None);
    test_service_exchange(&mut ws).await;
    server.line_with(r#"got: hello"#).await;

    let options = ClientOptions::default().subprotocols(["subprotocol"]);
    let (mut ws, response) = within(rfc6455::connect_with(&url, options)).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "subprotocol");
    assert_eq!(next_text(&mut ws).await, "This is the subprotocol handler");
    test_service_exchange(&mut ws).await;

    let err = within(rfc6455::connect(&format!("ws://127.0.0.1:{port}/other")))
        .await
        .err()
        .unwrap();
    assert_eq!(err.response().unwrap().status(), 404);
    let options = ClientOptions::default().subprotocols(["other"]);
    let err = within(rfc6455::connect_with(&url, options))
        .await
        .err()
        .unwrap();
    assert_eq!(err.response().unwrap().status(), 400);
}

#[tokio::test]
async fn demo_server_serves_page_test_and_echo_on_one_port() {
    let mut server = Peer::example("demo-server", &["--port", "0"]);
    let line = server.line_with("Open http://localhost:").await;
    assert!(line.ends_with("/ in a browser"), "{line}");
    let port = Peer::port_from(&line);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));

    let page = get(addr, "/").await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("<title>rfc6455 demo</title>"));
    assert_eq!(get(addr, "/client.js").await.status, 200);

    let (mut ws, _) = within(rfc6455::connect(&format!("ws://{addr}/echo")))
        .await
        .unwrap();
    ws.send_text("echo me").await.unwrap();
    assert_eq!(next_text(&mut ws).await, "echo me");
    ws.close(CloseCode::NORMAL, "").await.unwrap();

    let options = ClientOptions::default().subprotocols(["subprotocol"]);
    let (mut ws, _) = within(rfc6455::connect_with(&format!("ws://{addr}/test"), options))
        .await
        .unwrap();
    assert_eq!(next_text(&mut ws).await, "This is the subprotocol handler");
    test_service_exchange(&mut ws).await;
}

/// Run a time client against a time server: two ticks, a line typed, end of input.
async fn time_client(client: &str) {
    let mut server = Peer::example("time-server", &["--port", "0"]);
    let port = server.localhost_port().await;
    let url = format!("ws://127.0.0.1:{port}/");
    let mut client = Peer::example(client, &["--server", &url]);
    assert_eq!(client.line().await, format!("connected to {url}"));
    let mut ticks = 0;
    while ticks < 2 {
        let line = client.line().await;
        assert!(
            line.starts_with("server: 20") && line.ends_with(" UTC"),
            "{line}"
        );
        ticks += 1;
    }
    let mut stdin = client.child.stdin.take().unwrap();
    stdin.write_all(b"what time is it?\n").await.unwrap();
    client.line_with("sent: what time is it?").await;
    server.line_with("says: what time is it?").await;
    drop(stdin); // end of input: the client closes
    client.line_with("closed: status 1000").await;
    let status = client.wait().await;
    assert!(status.success(), "{status}");
    let line = server.line_with("closed: status").await;
    assert!(
        line.ends_with(r#"closed: status 1000 reason "end of input""#),
        "{line}"
    );
}

#[tokio::test]
async fn time_client_select_waits_on_connection_and_stdin() {
    time_client("time-client-select").await;
}

#[tokio::test]
async fn time_client_tasks_reads_in_a_task() {
    time_client("time-client-tasks").await;
}

#[tokio::test]
async fn cat_pipes_lines_and_closes_with_status_and_reason() {
    let closes = Arc::new(Mutex::new(Vec::new()));
    let seen = closes.clone();
    let server = serve(local(), move |mut ws| {
        let seen = seen.clone();
        async move {
            while let Some(Ok(msg)) = ws.recv().await {
                if ws.send(msg).await.is_err() {
                    break;
                }
            }
            let code = ws.peer_close_code().map(|c| c.as_u16());
            seen.lock()
                .unwrap()
                .push((code, ws.peer_close_reason().to_owned()));
        }
    })
    .await
    .unwrap();
    let url = format!("ws://127.0.0.1:{}/", server.local_addr().port());
    let mut cat = Peer::example(
        "cat",
        &["--server", &url, "--status", "4001", "--reason", "cat done"],
    );
    let mut stdin = cat.child.stdin.take().unwrap();
    stdin
        .write_all("one\ntwo words\nthree ✓\n".as_bytes())
        .await
        .unwrap();
    drop(stdin);
    assert_eq!(cat.line().await, "one");
    assert_eq!(cat.line().await, "two words");
    assert_eq!(cat.line().await, "three ✓");
    let (status, stderr) = cat.finish().await;
    assert!(status.success(), "{status}");
    assert!(stderr.contains("closed: status 4001"), "{stderr}");
    server.stop().await;
    assert_eq!(
        closes.lock().unwrap().as_slice(),
        [(Some(4001), "cat done".into())]
    );
}

#[cfg(feature = "axum")]
#[tokio::test]
async fn axum_echo_example_serves_page_and_echo() {
    let mut server = Peer::example("axum-echo", &["--port", "0"]);
    let port = server.localhost_port().await;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let page = get(addr, "/").await;
    assert_eq!(page.status, 200);
    assert!(page.text().starts_with("Hello from axum"));
    let (mut ws, _) = within(rfc6455::connect(&format!("ws://{addr}/echo")))
        .await
        .unwrap();
    ws.send_text("via axum").await.unwrap();
    assert_eq!(next_text(&mut ws).await, "via axum");
    let options = ClientOptions::default().subprotocols(["chat"]);
    let (mut ws, _) = within(rfc6455::connect_with(
        &format!("ws://{addr}/rooms/hall"),
        options,
    ))
    .await
    .unwrap();
    assert_eq!(next_text(&mut ws).await, "welcome to hall");
}
