//! The service mapper's routing rules (the original's `ws-service-mapper`), against our
//! own client: path order, whole-path match, query ignored, subprotocol chosen in the
//! client's order, the "none" entry, 404 and 400 refusals, the 101's
//! `Sec-WebSocket-Protocol`, captures and hook state reaching the handler, and stop.

mod support;

use std::net::SocketAddr;

use http::{HeaderValue, StatusCode};
use rfc6455::{
    ClientOptions, CloseCode, ErrorKind, Handshake, PathParams, Rejection, ServerHandle,
    ServiceMapper, WebSocket, serve_mapped,
};

use support::http::{get, raw_request};
use support::server::local;
use support::within;

/// Each handler says who it is and what it was given, then waits for the client to close.
async fn report(mut ws: WebSocket, tag: &str, params: &PathParams<impl std::fmt::Debug>) {
    let named: Vec<String> = params.named().map(|(n, v)| format!("{n}={v}")).collect();
    let text = format!(
        "{tag} protocol={} path={} query={} named=[{}] at1={} state={:?}",
        ws.subprotocol().unwrap_or("-"),
        params.path(),
        ws.handshake().query().unwrap_or("-"),
        named.join(","),
        params.at(1).unwrap_or("-"),
        params.state(),
    );
    let _ = ws.send_text(&text).await;
    while let Some(Ok(_)) = ws.recv().await {}
}

/// The table of these tests.
fn table() -> ServiceMapper {
    ServiceMapper::builder()
        .path("/test")
        .no_subprotocol(|ws, p| async move { report(ws, "test-none", &p).await })
        .subprotocol("subprotocol", |ws, p| async move {
            report(ws, "test-sub", &p).await
        })
        .path(r"/rooms/(?<room>\w+)/(\d+)")
        .subprotocols(["chat.v2", "chat"], |ws, p| async move {
            report(ws, "rooms-chat", &p).await
        })
        .subprotocol(
            "json",
            |ws, p| async move { report(ws, "rooms-json", &p).await },
        )
        .path("/first")
        .no_subprotocol(|ws, p| async move { report(ws, "first", &p).await })
        .path("/fir.*")
        .no_subprotocol(|ws, p| async move { report(ws, "fir-star", &p).await })
        .path(r"/(?<anything>.*)/catch")
        .entry([None, Some("x")], |ws, p| async move {
            report(ws, "catch", &p).await
        })
        .build()
        .expect("valid table")
}

async fn server() -> ServerHandle {
    serve_mapped(local(), table()).await.expect("bind")
}

fn url(server: &ServerHandle, target: &str) -> String {
    format!("ws://127.0.0.1:{}{target}", server.local_addr().port())
}

fn addr(server: &ServerHandle) -> SocketAddr {
    server.local_addr()
}

/// Connect offering `protocols`; the first message, the 101's `Sec-WebSocket-Protocol`.
async fn first_message(
    server: &ServerHandle,
    target: &str,
    protocols: &[&str],
) -> (String, Option<String>) {
    let options = ClientOptions::default().subprotocols(protocols.iter().copied());
    let (mut ws, response) = within(rfc6455::connect_with(&url(server, target), options))
        .await
        .unwrap_or_else(|e| panic!("connect {target} {protocols:?}: {e}"));
    let header = response
        .headers()
        .get("sec-websocket-protocol")
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(ws.subprotocol(), header.as_deref());
    let text = within(ws.recv())
        .await
        .expect("a message")
        .expect("no error")
        .as_text()
        .expect("text")
        .to_owned();
    within(ws.close(CloseCode::NORMAL, "")).await.unwrap();
    (text, header)
}

/// Connect, expecting a refusal: its status and body.
async fn refusal(server: &ServerHandle, target: &str, protocols: &[&str]) -> (u16, String) {
    let options = ClientOptions::default().subprotocols(protocols.iter().copied());
    let Err(err) = within(rfc6455::connect_with(&url(server, target), options)).await else {
        panic!("{target} {protocols:?} was accepted")
    };
    assert_eq!(err.kind(), ErrorKind::Handshake, "{err}");
    let response = err.response().expect("the refusal's response");
    (
        response.status().as_u16(),
        String::from_utf8_lossy(response.body()).into_owned(),
    )
}

#[tokio::test]
async fn paths_are_tried_in_order_first_match_wins() {
    let server = server().await;
    // "/first" matches both "/first" and "/fir.*": the earlier row wins.
    assert!(
        first_message(&server, "/first", &[])
            .await
            .0
            .starts_with("first ")
    );
    assert!(
        first_message(&server, "/firsthand", &[])
            .await
            .0
            .starts_with("fir-star ")
    );
    server.stop().await;
}

#[tokio::test]
async fn pattern_must_match_the_whole_path() {
    let server = server().await;
    for target in [
        "/test/",
        "/test/x",
        "/x/test",
        "/tes",
        "/TEST",
        "/rooms/a/1/2",
        "/rooms/a/b",
    ] {
        let (status, body) = refusal(&server, target, &["chat"]).await;
        assert_eq!(status, 404, "{target}: {body}");
    }
    // The same, without a subprotocol: still the path decides first.
    assert_eq!(refusal(&server, "/nowhere", &[]).await.0, 404);
    server.stop().await;
}

#[tokio::test]
async fn query_is_not_part_of_the_path() {
    let server = server().await;
    // The query holds text that would match another row, and a `/`: it is ignored.
    let (text, _) = first_message(&server, "/test?next=/first&x=1", &[]).await;
    assert!(text.starts_with("test-none "), "{text}");
    assert!(text.contains(" path=/test "), "{text}");
    // The handler still sees the query.
    assert!(text.contains(" query=next=/first&x=1 "), "{text}");
    assert_eq!(refusal(&server, "/nowhere?/test", &[]).await.0, 404);
    server.stop().await;
}

#[tokio::test]
async fn subprotocol_is_chosen_in_the_clients_order() {
    let server = server().await;
    // Client prefers "json" over "chat": the json entry, although chat's is listed first.
    let (text, header) = first_message(&server, "/rooms/lobby/7", &["json", "chat"]).await;
    assert!(text.starts_with("rooms-json protocol=json "), "{text}");
    assert_eq!(header.as_deref(), Some("json"));
    // Unknown tokens are skipped; the first known one wins.
    let (text, header) = first_message(
        &server,
        "/rooms/lobby/7",
        &["zzz", "chat", "chat.v2", "json"],
    )
    .await;
    assert!(text.starts_with("rooms-chat protocol=chat "), "{text}");
    assert_eq!(header.as_deref(), Some("chat"));
    let (text, header) = first_message(&server, "/rooms/lobby/7", &["chat.v2", "chat"]).await;
    assert!(text.starts_with("rooms-chat protocol=chat.v2 "), "{text}");
    assert_eq!(header.as_deref(), Some("chat.v2"));
    // /test: "subprotocol" is served by its own entry.
    let (text, header) = first_message(&server, "/test", &["other", "subprotocol"]).await;
    assert!(text.starts_with("test-sub protocol=subprotocol "), "{text}");
    assert_eq!(header.as_deref(), Some("subprotocol"));
    server.stop().await;
}

#[tokio::test]
async fn no_subprotocol_offered_gets_the_none_entry() {
    let server = server().await;
    let (text, header) = first_message(&server, "/test", &[]).await;
    assert!(text.starts_with("test-none protocol=- "), "{text}");
    assert_eq!(header, None, "no Sec-WebSocket-Protocol in the 101");
    // An entry listing both none and "x".
    let (text, header) = first_message(&server, "/a/b/catch", &[]).await;
    assert!(text.starts_with("catch protocol=- "), "{text}");
    assert_eq!(header, None);
    let (text, header) = first_message(&server, "/a/b/catch", &["x"]).await;
    assert!(text.starts_with("catch protocol=x "), "{text}");
    assert_eq!(header.as_deref(), Some("x"));
    server.stop().await;
}

#[tokio::test]
async fn no_fitting_entry_is_400_never_101() {
    let server = server().await;
    // Offered subprotocols that the path does not serve: 400, even though /test has a
    // "none" entry (the client asked for something it does not get).
    let (status, body) = refusal(&server, "/test", &["chat", "superchat"]).await;
    assert_eq!(status, 400);
    assert!(body.contains("chat, superchat"), "{body}");
    assert!(body.contains("(none), subprotocol"), "{body}");
    // No subprotocol offered to a path without a "none" entry.
    let (status, body) = refusal(&server, "/rooms/lobby/1", &[]).await;
    assert_eq!(status, 400);
    assert!(body.contains("no subprotocol"), "{body}");
    server.stop().await;
}

#[tokio::test]
async fn captures_reach_the_handler() {
    let server = server().await;
    let (text, _) = first_message(&server, "/rooms/lobby/42?x=1", &["chat"]).await;
    assert!(text.contains(" path=/rooms/lobby/42 "), "{text}");
    assert!(text.contains(" named=[room=lobby] "), "{text}");
    assert!(text.contains(" at1=lobby "), "{text}");
    let (text, _) = first_message(&server, "/deep/ly/nested/catch", &[]).await;
    assert!(text.contains(" named=[anything=deep/ly/nested] "), "{text}");
    server.stop().await;
}

#[tokio::test]
async fn plain_http_without_fallback_is_426_on_mapped_paths_404_elsewhere() {
    let server = server().await;
    let response = get(addr(&server), "/test").await;
    assert_eq!(response.status, 426);
    assert_eq!(response.header("upgrade"), Some("websocket"));
    assert_eq!(get(addr(&server), "/nowhere").await.status, 404);
    // An invalid upgrade (no key) to a mapped path is 400 from the handshake rules.
    let response = raw_request(
        addr(&server),
        "GET /test HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13",
    )
    .await;
    assert_eq!(response.status, 400);
    server.stop().await;
}

#[tokio::test]
async fn hook_sees_the_choice_adds_headers_and_hands_over_state() {
    let mapper = ServiceMapper::builder()
        .hook(|hs: &mut Handshake<'_>| {
            let user = hs
                .request()
                .headers()
                .get("x-user")
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| Rejection::new(StatusCode::UNAUTHORIZED, "who are you?"))?
                .to_owned();
            let chosen = hs.subprotocol().unwrap_or("-").to_owned();
            hs.headers_mut()
                .insert("x-welcome", HeaderValue::from_static("yes"));
            // The mapper's choice stands whatever the hook does.
            hs.accept_subprotocol("b");
            Ok(format!("{user}/{chosen}"))
        })
        .path("/h")
        .subprotocol("a", |ws, p: PathParams<String>| async move {
            report(ws, "hooked", &p).await
        })
        .build()
        .unwrap();
    let server = serve_mapped(local(), mapper).await.unwrap();
    let target = url(&server, "/h");

    let err = within(rfc6455::connect_with(
        &target,
        ClientOptions::default().subprotocols(["a", "b"]),
    ))
    .await
    .expect_err("refused without x-user");
    assert_eq!(err.response().unwrap().status(), 401);

    let options = ClientOptions::default()
        .subprotocols(["a", "b"])
        .header("x-user".parse().unwrap(), HeaderValue::from_static("ann"));
    let (mut ws, response) = within(rfc6455::connect_with(&target, options))
        .await
        .unwrap();
    assert_eq!(response.headers()["x-welcome"], "yes");
    assert_eq!(response.headers()["sec-websocket-protocol"], "a");
    let text = within(ws.recv()).await.unwrap().unwrap();
    assert!(
        text.as_text().unwrap().contains(r#"state="ann/a""#),
        "{text:?}"
    );
    within(ws.close(CloseCode::NORMAL, "")).await.unwrap();
    // No path: 404 before the hook runs (no x-user needed to learn that).
    let err = within(rfc6455::connect(&url(&server, "/other")))
        .await
        .err()
        .unwrap();
    assert_eq!(err.response().unwrap().status(), 404);
    server.stop().await;
}

#[tokio::test]
async fn stop_closes_mapped_connections_with_1001() {
    let server = server().await;
    let (mut ws, _) = within(rfc6455::connect(&url(&server, "/test")))
        .await
        .unwrap();
    let _greeting = within(ws.recv()).await.unwrap().unwrap();
    let stopping = tokio::spawn(server.stop());
    while let Some(msg) = within(ws.recv()).await {
        msg.expect("a clean close");
    }
    assert_eq!(ws.peer_close_code(), Some(CloseCode::GOING_AWAY));
    within(stopping).await.unwrap();
}

#[tokio::test]
async fn macro_table_routes_like_the_builder() {
    let mapper = rfc6455::service_mapper! {
        "/test" => {
            none => |mut ws, _| async move { let _ = ws.send_text("none").await; },
            "subprotocol" => |mut ws, _| async move {
                let _ = ws.send_text("This is the subprotocol handler").await;
            },
        },
    }
    .unwrap();
    let server = serve_mapped(local(), mapper).await.unwrap();
    for (protocols, expected) in [
        (&[][..], "none"),
        (&["subprotocol"][..], "This is the subprotocol handler"),
    ] {
        let options = ClientOptions::default().subprotocols(protocols.iter().copied());
        let (mut ws, _) = within(rfc6455::connect_with(&url(&server, "/test"), options))
            .await
            .unwrap();
        let msg = within(ws.recv()).await.unwrap().unwrap();
        assert_eq!(msg.as_text(), Some(expected));
    }
    server.stop().await;
}
