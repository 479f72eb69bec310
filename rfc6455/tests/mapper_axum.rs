//! The axum integration (feature `axum`): the `WebSocketUpgrade` extractor for one
//! endpoint, a `ServiceMapper` mounted as axum's fallback service, and plain axum routes,
//! all on one port served by `axum::serve`.
#![cfg(feature = "axum")]

mod support;

use std::net::SocketAddr;

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rfc6455::axum::{UpgradeRejection, WebSocketUpgrade};
use rfc6455::{ClientOptions, CloseCode, PathParams, ServiceMapper};

use support::http::{get as http_get, raw_request};
use support::within;

async fn echo(upgrade: Option<WebSocketUpgrade>) -> Response {
    let Some(upgrade) = upgrade else {
        return "not an upgrade".into_response();
    };
    upgrade
        .subprotocols(["echo.v2", "echo"])
        .on_upgrade(|mut ws| async move {
            let hello = format!("protocol={}", ws.subprotocol().unwrap_or("-"));
            let _ = ws.send_text(&hello).await;
            while let Some(Ok(msg)) = ws.recv().await {
                if ws.send(msg).await.is_err() {
                    break;
                }
            }
        })
}

async fn strict(upgrade: Result<WebSocketUpgrade, UpgradeRejection>) -> Response {
    match upgrade {
        Ok(upgrade) => upgrade.on_upgrade(|_ws| async {}),
        Err(rejection) => {
            let mut response = rejection.into_response();
            response
                .headers_mut()
                .insert("x-rejected", http::HeaderValue::from_static("yes"));
            response
        }
    }
}

async fn app() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let rooms = ServiceMapper::builder()
        .path(r"/rooms/(?<room>\w+)")
        .subprotocol("chat", |mut ws, params: PathParams| async move {
            let room = params.get("room").unwrap_or_default().to_owned();
            let _ = ws.send_text(&format!("welcome to {room}")).await;
            while let Some(Ok(_)) = ws.recv().await {}
        })
        .build()
        .unwrap();
    let router = Router::new()
        .route("/", get(|| async { "the page" }))
        .route("/echo", get(echo))
        .route("/strict", get(strict))
        .fallback_service(rooms.into_service());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    (addr, task)
}

#[tokio::test]
async fn axum_page_extractor_and_mapper_on_one_port() {
    let (addr, task) = app().await;

    // Plain axum routes.
    let page = http_get(addr, "/").await;
    assert_eq!((page.status, page.text().as_str()), (200, "the page"));
    assert_eq!(http_get(addr, "/echo").await.text(), "not an upgrade");

    // The extractor: subprotocol chosen in the client's order among the endpoint's.
    let options = ClientOptions::default().subprotocols(["echo", "echo.v2"]);
    let (mut ws, response) = within(rfc6455::connect_with(&format!("ws://{addr}/echo"), options))
        .await
        .unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "echo");
    let hello = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(hello.as_text(), Some("protocol=echo"));
    ws.send_text("through axum").await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap().as_text(),
        Some("through axum")
    );
    within(ws.close(CloseCode::NORMAL, "")).await.unwrap();

    // No subprotocol in common: accepted without one.
    let options = ClientOptions::default().subprotocols(["other"]);
    let (mut ws, response) = within(rfc6455::connect_with(&format!("ws://{addr}/echo"), options))
        .await
        .unwrap();
    assert!(response.headers().get("sec-websocket-protocol").is_none());
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap().as_text(),
        Some("protocol=-")
    );

    // The mapper as the fallback service: routes, captures, refusals.
    let options = ClientOptions::default().subprotocols(["chat"]);
    let (mut ws, response) = within(rfc6455::connect_with(
        &format!("ws://{addr}/rooms/lobby"),
        options,
    ))
    .await
    .unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "chat");
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap().as_text(),
        Some("welcome to lobby")
    );
    let err = within(rfc6455::connect(&format!("ws://{addr}/rooms/lobby")))
        .await
        .err()
        .unwrap();
    assert_eq!(err.response().unwrap().status(), 400);
    let err = within(rfc6455::connect(&format!("ws://{addr}/elsewhere")))
        .await
        .err()
        .unwrap();
    assert_eq!(err.response().unwrap().status(), 404);
    assert_eq!(http_get(addr, "/rooms/lobby").await.status, 426);
    assert_eq!(http_get(addr, "/elsewhere").await.status, 404);

    // An invalid upgrade is refused by the extractor with the handshake's answer.
    let bad = raw_request(
        addr,
        "GET /strict HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13",
    )
    .await;
    assert_eq!((bad.status, bad.header("x-rejected")), (400, Some("yes")));
    let old = raw_request(
        addr,
        "GET /strict HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8",
    )
    .await;
    assert_eq!(old.status, 426);
    assert_eq!(old.header("sec-websocket-version"), Some("13"));
    task.abort();
}

#[tokio::test]
async fn extractor_without_an_upgrade_handle_is_426() {
    use tower_service::Service;
    let mut router: Router = Router::new().route("/strict", get(strict));
    // A request built by hand (as in a unit test) has no connection to upgrade.
    let request = http::Request::get("/strict")
        .header("host", "example.com")
        .header("upgrade", "websocket")
        .header("connection", "Upgrade")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("sec-websocket-version", "13")
        .body(axum::body::Body::empty())
        .unwrap();
    type Req = http::Request<axum::body::Body>;
    std::future::poll_fn(|cx| Service::<Req>::poll_ready(&mut router, cx))
        .await
        .unwrap();
    let response = Service::<Req>::call(&mut router, request).await.unwrap();
    assert_eq!(response.status(), 426);
    assert_eq!(response.headers()["x-rejected"], "yes");
}
