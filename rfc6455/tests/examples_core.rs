//! The examples of the core issue, run as programs and their output checked: `echo-server`,
//! `test-server` and `client` (which talks to the test server with RFC 6455, then hybi-00).

mod support;

use rfc6455::{CloseCode, Message};

use support::peers::Peer;
use support::within;

#[tokio::test]
async fn echo_server_echoes_both_types_and_reports_the_close() {
    let mut server = Peer::example("echo-server", &["--port", "0", "--timeout", "300"]);
    let port = server.localhost_port().await;
    let url = format!("ws://127.0.0.1:{port}/chat?x=1");
    let (mut ws, _) = within(rfc6455::connect(&url)).await.unwrap();
    ws.send_text("hi").await.unwrap();
    let echo = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(echo, Message::text("hi"));
    ws.send_binary(&[1, 2, 3]).await.unwrap();
    let echo = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(echo, Message::binary(vec![1, 2, 3]));
    within(ws.close(CloseCode::from(4000), "bye"))
        .await
        .unwrap();
    let connected = server.line_with("connected").await;
    assert!(connected.contains("GET /chat?x=1 HTTP/1.1"), "{connected}");
    assert!(server.line_with("text: hi").await.starts_with("[1]"));
    server.line_with("binary: 3 bytes").await;
    let closed = server.line_with("closed").await;
    assert!(
        closed.contains("status 4000") && closed.contains("\"bye\""),
        "{closed}"
    );
}

#[tokio::test]
async fn client_talks_to_the_test_server_with_both_protocol_variants() {
    let mut server = Peer::example("test-server", &["--port", "0"]);
    let port = server.localhost_port().await;
    let url = format!("ws://localhost:{port}/test?foo=bar");
    let mut client = Peer::example("client", &["--url", &url]);
    for (variant, close) in [("Rfc6455", "Some(1000)"), ("Hybi00", "Some(1005)")] {
        client.line_with(&format!("--- {variant}")).await;
        client.line_with("101").await;
        client
            .line_with(r#"received: You said: "Hello from the Rust client""#)
            .await;
        client.line_with("received: Waited another second").await;
        client.line_with("received: Goodbye!").await;
        let closed = client.line_with("closed: status").await;
        assert!(closed.contains(close), "{variant}: {closed}");
        server.line_with("got: goodbye").await;
    }
    let (status, stderr) = client.finish().await;
    assert!(status.success(), "client failed: {stderr}");
}
