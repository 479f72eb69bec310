//! One port for plain HTTP and WebSockets: the fallback service, the static-files helper
//! (content types, index, redirects, and no way out of its folder), and upgrades beside
//! them on the same port.

mod support;

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use rfc6455::{CloseCode, ServiceMapper, StaticFiles, serve, serve_mapped};

use support::http::{Response, get, raw_request};
use support::peers::static_dir;
use support::server::local;
use support::within;

fn demo_mapper() -> ServiceMapper {
    ServiceMapper::builder()
        .path("/test")
        .no_subprotocol(|mut ws, _| async move {
            let _ = ws.send_text("test service").await;
            while let Some(Ok(_)) = ws.recv().await {}
        })
        .path("/echo")
        .no_subprotocol(|mut ws, _| async move {
            while let Some(Ok(msg)) = ws.recv().await {
                if ws.send(msg).await.is_err() {
                    break;
                }
            }
        })
        .build()
        .unwrap()
}

#[tokio::test]
async fn page_and_websocket_on_one_port() {
    let options = local().fallback(StaticFiles::new(static_dir()).index("client.html"));
    let server = serve_mapped(options, demo_mapper()).await.unwrap();
    let addr = server.local_addr();

    let page = get(addr, "/").await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page.text().contains(r#"<script src="client.js"></script>"#));
    assert!(page.text().contains(r#"<ul id="log">"#));
    let script = get(addr, "/client.js").await;
    assert_eq!(script.status, 200);
    assert_eq!(
        script.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(script.text().contains("Hi there"));
    assert_eq!(get(addr, "/missing.png").await.status, 404);

    // The same port upgrades.
    let url = format!("ws://127.0.0.1:{}/echo", addr.port());
    let (mut ws, _) = within(rfc6455::connect(&url)).await.unwrap();
    ws.send_text("ping over the same port").await.unwrap();
    let echo = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(echo.as_text(), Some("ping over the same port"));
    within(ws.close(CloseCode::NORMAL, "")).await.unwrap();

    // An upgrade to a path the mapper lacks is still the mapper's 404, not a page.
    let err = within(rfc6455::connect(&format!(
        "ws://127.0.0.1:{}/",
        addr.port()
    )))
    .await
    .err()
    .unwrap();
    assert_eq!(err.response().unwrap().status(), 404);
    server.stop().await;
}

#[tokio::test]
async fn fallback_is_any_hyper_service_and_serve_uses_it_too() {
    let hits = std::sync::Arc::new(AtomicU32::new(0));
    let counter = hits.clone();
    let service = service_fn(move |req: http::Request<Incoming>| {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            if req.uri().path() == "/fail" {
                return Err("on purpose");
            }
            let body = format!("plain HTTP #{n} for {}", req.uri());
            Ok::<_, &str>(http::Response::new(Full::new(Bytes::from(body))))
        }
    });
    let server = serve(local().fallback(service), |mut ws| async move {
        let _ = ws.send_text("websocket").await;
    })
    .await
    .unwrap();
    let addr = server.local_addr();
    let page = get(addr, "/hello?x=1").await;
    assert_eq!(
        (page.status, page.text().as_str()),
        (200, "plain HTTP #1 for /hello?x=1")
    );
    // A service error is a 500; the server goes on.
    assert_eq!(get(addr, "/fail").await.status, 500);
    let (mut ws, _) = within(rfc6455::connect(&format!("ws://{addr}/any")))
        .await
        .unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap().as_text(),
        Some("websocket")
    );
    // An invalid upgrade is answered by the handshake rules, not by the fallback.
    let bad = raw_request(
        addr,
        "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13",
    )
    .await;
    assert_eq!(bad.status, 400);
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    server.stop().await;
}

/// A folder for the static-files tests, with a secret beside it and a link out of it.
fn scratch_site(name: &str) -> (PathBuf, PathBuf) {
    let base = std::env::temp_dir().join(format!("rfc6455-static-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let root = base.join("site");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::create_dir_all(root.join("empty")).unwrap();
    std::fs::write(root.join("index.html"), "<h1>home</h1>").unwrap();
    std::fs::write(root.join("sub/index.html"), "<h1>sub</h1>").unwrap();
    std::fs::write(root.join("style.css"), "body{}").unwrap();
    std::fs::write(root.join("data.bin"), [0u8, 1, 2]).unwrap();
    std::fs::write(root.join("a b.txt"), "spaced").unwrap();
    std::fs::write(root.join(".env"), "SECRET=hidden-file").unwrap();
    std::fs::write(base.join("secret.txt"), "SECRET=outside").unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(base.join("secret.txt"), root.join("link.txt")).unwrap();
        std::os::unix::fs::symlink(root.join("style.css"), root.join("inside-link.css")).unwrap();
    }
    (base, root)
}

fn assert_no_secret(response: &Response, what: &str) {
    assert!(
        !response.text().contains("SECRET"),
        "{what} leaked: {response:?}"
    );
    assert_ne!(response.status, 200, "{what}: {response:?}");
}

#[tokio::test]
async fn static_files_types_index_redirect_and_methods() {
    let (base, root) = scratch_site("types");
    let server = serve(local().fallback(StaticFiles::new(&root)), |_ws| async {})
        .await
        .unwrap();
    let addr = server.local_addr();

    let home = get(addr, "/").await;
    assert_eq!((home.status, home.text().as_str()), (200, "<h1>home</h1>"));
    assert_eq!(
        home.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(home.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(
        get(addr, "/style.css").await.header("content-type"),
        Some("text/css; charset=utf-8")
    );
    assert_eq!(
        get(addr, "/data.bin").await.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(get(addr, "/a%20b.txt").await.text(), "spaced");
    assert_eq!(get(addr, "/sub/").await.text(), "<h1>sub</h1>");
    // A folder without its slash: redirected, query kept.
    let redirect = get(addr, "/sub?x=1").await;
    assert_eq!(redirect.status, 308);
    assert_eq!(redirect.header("location"), Some("/sub/?x=1"));
    // `//host` must not become a redirect to another host.
    let redirect = get(addr, "//sub").await;
    assert_eq!(redirect.header("location"), Some("/sub/"));
    // A folder without an index, a missing file, a file used as a folder.
    assert_eq!(get(addr, "/empty/").await.status, 404);
    assert_eq!(get(addr, "/nope.html").await.status, 404);
    assert_eq!(get(addr, "/style.css/x").await.status, 404);
    // HEAD: the length, no body.
    let head = raw_request(addr, "HEAD /style.css HTTP/1.1").await;
    assert_eq!(
        (head.status, head.header("content-length")),
        (200, Some("6"))
    );
    assert!(head.body.is_empty());
    let post = raw_request(addr, "POST / HTTP/1.1\r\nContent-Length: 0").await;
    assert_eq!(
        (post.status, post.header("allow")),
        (405, Some("GET, HEAD"))
    );
    // A symbolic link that stays inside the folder is served.
    #[cfg(unix)]
    assert_eq!(get(addr, "/inside-link.css").await.text(), "body{}");
    server.stop().await;
    let _ = std::fs::remove_dir_all(base);
}

#[tokio::test]
async fn static_files_never_leave_their_folder() {
    let (base, root) = scratch_site("traversal");
    let server = serve(local().fallback(StaticFiles::new(&root)), |_ws| async {})
        .await
        .unwrap();
    let addr = server.local_addr();
    for target in [
        "/../secret.txt",
        "/sub/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/..%2fsecret.txt",
        "/sub%2f..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
        "/%2e%2e%5csecret.txt",
        "/.%2e/secret.txt",
        "/./../secret.txt",
        "/.env",
        "/%2eenv",
        "/sub/../.env",
        "/link.txt",
        "/secret.txt%00.html",
        "/..",
        "/%ff%fe",
    ] {
        let response = get(addr, target).await;
        assert_no_secret(&response, target);
    }
    // An absolute-form target names a URL, not a file.
    let absolute = get(addr, &format!("http://{addr}/../secret.txt")).await;
    assert_no_secret(&absolute, "absolute-form");
    // Outside paths that exist but are not under the root, spelled absolutely.
    let absolute_path = format!("/{}", base.join("secret.txt").display());
    assert_no_secret(&get(addr, &absolute_path).await, "absolute path");
    server.stop().await;
    let _ = std::fs::remove_dir_all(base);
}

#[tokio::test]
async fn static_files_respond_directly() {
    let files = StaticFiles::new(static_dir()).index("client.html");
    let req = http::Request::get("/client.js").body(()).unwrap();
    let response = files.respond(&req).await;
    assert_eq!(response.status(), 200);
    let req = http::Request::get("/../Cargo.toml").body(()).unwrap();
    assert_eq!(files.respond(&req).await.status(), 404);
    // The hyper Service impl, as the fallback uses it.
    let response = hyper::service::Service::call(
        &files,
        http::Request::get("/")
            .body(Full::new(Bytes::new()))
            .unwrap(),
    )
    .await;
    let response: http::Response<Full<Bytes>> =
        response.unwrap_or_else(|never: Infallible| match never {});
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
}
