//! The client against the web as it is: redirects (chains, loops, a `wss://` → `ws://`
//! downgrade, scheme mapping, credentials dropped across hosts), error answers (401 with
//! its challenge and body, 404), the request headers a program sets (`Origin`,
//! `User-Agent`, cookies, URL userinfo), IPv6 literals, and an HTTP `CONNECT` proxy run in
//! the test (with and without Basic authentication, 407, a silent proxy).

mod support;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http::{HeaderMap, HeaderValue, StatusCode};
use rfc6455::{
    ClientOptions, CloseCode, ErrorKind, Handshake, HandshakeError, Message, Rejection,
    ServerHandle, ServerOptions, Transport, WebSocket, connect_with, serve_with_hook,
};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use support::proxy::TestProxy;
use support::server::{echo, local};
use support::tls::Pki;
use support::within;

// ------------------------------------------------------------------ a small web site

/// One request our servers saw.
#[derive(Debug)]
struct Seen {
    secure: bool,
    target: String,
    headers: HeaderMap,
}

/// The ports of the two servers, known once both listen.
#[derive(Default)]
struct Ports {
    plain: OnceLock<u16>,
    tls: OnceLock<u16>,
}

impl Ports {
    fn plain(&self) -> u16 {
        *self.plain.get().expect("plain server listens")
    }

    fn tls(&self) -> u16 {
        *self.tls.get().expect("TLS server listens")
    }
}

/// A plain and a TLS server with the same routes: redirects of every kind, a 401, a 404,
/// and `/final` (and `/echo`), which accept and echo.
struct Web {
    plain: ServerHandle,
    tls: ServerHandle,
    pki: Pki,
    seen: mpsc::UnboundedReceiver<Seen>,
}

fn redirect(status: u16, location: String) -> Rejection {
    Rejection::new(StatusCode::from_u16(status).unwrap(), "moved\n").with_header(
        http::header::LOCATION,
        HeaderValue::try_from(location).unwrap(),
    )
}

fn route(path: &str, ports: &Ports) -> Result<(), Rejection> {
    let plain = || ports.plain();
    let tls = || ports.tls();
    match path {
        "/final" | "/echo" => Ok(()),
        // A chain: 301 to a relative location, then 302 to an absolute http:// one.
        "/start" => Err(redirect(301, "second?step=2".to_owned())),
        "/second" => Err(redirect(302, format!("http://127.0.0.1:{}/final", plain()))),
        "/loop" => Err(redirect(302, "/loop".to_owned())),
        "/hop1" => Err(redirect(307, "/hop2".to_owned())),
        "/hop2" => Err(redirect(308, "/hop3".to_owned())),
        "/hop3" => Err(redirect(303, "/final".to_owned())),
        "/no-location" => Err(Rejection::new(StatusCode::FOUND, "where?\n")),
        "/to-tls" => Err(redirect(307, format!("https://localhost:{}/final", tls()))),
        "/down" => Err(redirect(302, format!("ws://127.0.0.1:{}/final", plain()))),
        "/down-http" => Err(redirect(301, format!("http://127.0.0.1:{}/final", plain()))),
        "/to-ftp" => Err(redirect(302, "ftp://127.0.0.1/final".to_owned())),
        "/other-host" => Err(redirect(308, format!("ws://localhost:{}/final", plain()))),
        "/same-host" => Err(redirect(303, "/final?again".to_owned())),
        "/private" => Err(Rejection::new(
            StatusCode::UNAUTHORIZED,
            "log in first: this chat is for members\n",
        )
        .with_header(
            http::header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"members\""),
        )),
        _ => Err(Rejection::new(
            StatusCode::NOT_FOUND,
            "no such endpoint here\n",
        )),
    }
}

async fn web() -> Web {
    let pki = Pki::new();
    let ports = Arc::new(Ports::default());
    let (tx, seen) = mpsc::unbounded_channel();
    let start = |options: ServerOptions, secure: bool| {
        let ports = ports.clone();
        let tx = tx.clone();
        serve_with_hook(
            options,
            move |hs: &mut Handshake<'_>| {
                let request = hs.request();
                let _ = tx.send(Seen {
                    secure,
                    target: request.uri().to_string(),
                    headers: request.headers().clone(),
                });
                route(request.uri().path(), &ports)
            },
            |ws, ()| echo(ws),
        )
    };
    // hybi-00 on: a test sends its headers with a hybi-00 client too.
    let plain = start(local().hybi00(true), false).await.unwrap();
    let tls = start(local().hybi00(true).tls(pki.server_tls()), true)
        .await
        .unwrap();
    ports.plain.set(plain.local_addr().port()).unwrap();
    ports.tls.set(tls.local_addr().port()).unwrap();
    Web {
        plain,
        tls,
        pki,
        seen,
    }
}

impl Web {
    fn ws(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{path}", self.plain.local_addr().port())
    }

    fn wss(&self, path: &str) -> String {
        format!("wss://localhost:{}{path}", self.tls.local_addr().port())
    }

    fn client(&self) -> ClientOptions {
        self.pki.client()
    }

    /// The requests seen so far, in order.
    fn requests(&mut self) -> Vec<Seen> {
        let mut all = Vec::new();
        while let Ok(seen) = self.seen.try_recv() {
            all.push(seen);
        }
        all
    }

    async fn stop(self) {
        self.plain.stop().await;
        self.tls.stop().await;
    }
}

async fn roundtrip(mut ws: WebSocket) {
    ws.send_text("ping?").await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap(),
        Message::text("ping?")
    );
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    assert!(within(ws.recv()).await.is_none());
}

// ------------------------------------------------------------------------- redirects

#[tokio::test]
async fn redirect_chain_301_302_101_reports_the_final_url() {
    let mut web = web().await;
    let (ws, response) = within(connect_with(&web.ws("/start"), web.client()))
        .await
        .unwrap();
    assert_eq!(response.status(), 101);
    assert_eq!(ws.handshake().url(), Some(web.ws("/final").as_str()));
    assert_eq!(ws.handshake().path(), "/final");
    roundtrip(ws).await;
    let targets: Vec<String> = web.requests().into_iter().map(|s| s.target).collect();
    assert_eq!(targets, ["/start", "/second?step=2", "/final"]);

    // 307, 308, 303 are followed as well.
    let (ws, _) = within(connect_with(&web.ws("/hop1"), web.client()))
        .await
        .unwrap();
    assert_eq!(ws.handshake().url(), Some(web.ws("/final").as_str()));
    roundtrip(ws).await;
    web.stop().await;
}

#[tokio::test]
async fn redirect_limit_and_loop() {
    let mut web = web().await;
    let err = within(connect_with(&web.ws("/loop"), web.client()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Redirect, "{err}");
    let message = err.to_string();
    assert!(message.contains("too many redirects"), "{message}");
    assert!(message.contains("/loop"), "{message}");
    let response = err.response().expect("the last redirect answer");
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "/loop");
    // The default limit: 5 redirects followed, so 6 requests.
    assert_eq!(web.requests().len(), 6);

    // Three hops with a limit of two.
    let options = web.client().max_redirects(2);
    let err = within(connect_with(&web.ws("/hop1"), options))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Redirect, "{err}");
    assert_eq!(err.response().unwrap().status(), 303);
    web.requests();

    // No redirects followed at all: the 3xx is an answer like any other.
    let options = web.client().max_redirects(0);
    let err = within(connect_with(&web.ws("/start"), options))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Handshake, "{err}");
    assert_eq!(
        err.handshake_error(),
        Some(&HandshakeError::UnexpectedStatus(
            StatusCode::MOVED_PERMANENTLY
        ))
    );
    let response = err.response().unwrap();
    assert_eq!(response.headers()["location"], "second?step=2");
    assert_eq!(response.body().as_ref(), b"moved\n");
    web.stop().await;
}

#[tokio::test]
async fn wss_to_ws_downgrade_is_refused_unless_asked() {
    let web = web().await;
    for path in ["/down", "/down-http"] {
        let err = within(connect_with(&web.wss(path), web.client()))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Redirect, "{path}: {err}");
        let message = err.to_string();
        assert!(
            message.contains("wss://") && message.contains("ws://") && message.contains("refused"),
            "{message}"
        );
        assert!(err.response().unwrap().status().is_redirection());
    }
    let options = web.client().danger_allow_insecure_redirects(true);
    let (ws, _) = within(connect_with(&web.wss("/down"), options))
        .await
        .unwrap();
    assert!(matches!(ws.get_ref(), Transport::Tcp(_)));
    assert!(!ws.handshake().is_secure());
    roundtrip(ws).await;
    web.stop().await;
}

#[tokio::test]
async fn ws_to_wss_upgrade_maps_https_to_wss() {
    let web = web().await;
    let (ws, _) = within(connect_with(&web.ws("/to-tls"), web.client()))
        .await
        .unwrap();
    assert!(matches!(ws.get_ref(), Transport::TlsClient(_)));
    assert!(ws.handshake().is_secure());
    assert_eq!(ws.handshake().url(), Some(web.wss("/final").as_str()));
    roundtrip(ws).await;
    web.stop().await;
}

#[tokio::test]
async fn unusable_redirects_are_clear_errors() {
    let web = web().await;
    let err = within(connect_with(&web.ws("/no-location"), web.client()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Redirect, "{err}");
    assert!(err.to_string().contains("without a Location"), "{err}");
    assert_eq!(err.response().unwrap().status(), 302);

    let err = within(connect_with(&web.ws("/to-ftp"), web.client()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Redirect, "{err}");
    assert!(err.to_string().contains("\"ftp\""), "{err}");
    web.stop().await;
}

#[tokio::test]
async fn credentials_stay_with_their_host_across_redirects() {
    let mut web = web().await;
    let options = web
        .client()
        .header(
            http::header::AUTHORIZATION,
            HeaderValue::from_static("Bearer secret-token"),
        )
        .cookie("session", "s3cr3t")
        .origin("https://app.example");
    // 127.0.0.1 → localhost: another host.
    let (ws, _) = within(connect_with(&web.ws("/other-host"), options.clone()))
        .await
        .unwrap();
    roundtrip(ws).await;
    let seen = web.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].headers["authorization"], "Bearer secret-token");
    assert_eq!(seen[0].headers["cookie"], "session=s3cr3t");
    assert!(
        !seen[1].headers.contains_key("authorization"),
        "{:?}",
        seen[1]
    );
    assert!(!seen[1].headers.contains_key("cookie"), "{:?}", seen[1]);
    assert_eq!(seen[1].headers["origin"], "https://app.example");

    // The same host: kept.
    let (ws, _) = within(connect_with(&web.ws("/same-host"), options))
        .await
        .unwrap();
    roundtrip(ws).await;
    let seen = web.requests();
    assert_eq!(seen[1].target, "/final?again");
    assert_eq!(seen[1].headers["authorization"], "Bearer secret-token");
    assert_eq!(seen[1].headers["cookie"], "session=s3cr3t");
    web.stop().await;
}

// -------------------------------------------------------------------- error answers

#[tokio::test]
async fn answer_401_carries_its_challenge_and_body() {
    let web = web().await;
    for url in [web.ws("/private"), web.wss("/private")] {
        let err = within(connect_with(&url, web.client())).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Handshake, "{err}");
        assert_eq!(
            err.handshake_error(),
            Some(&HandshakeError::UnexpectedStatus(StatusCode::UNAUTHORIZED))
        );
        assert!(err.to_string().contains("401"), "{err}");
        let response = err.response().expect("the 401 answer");
        assert_eq!(response.status(), 401);
        assert_eq!(
            response.headers()["www-authenticate"],
            "Basic realm=\"members\""
        );
        assert_eq!(
            response.body().as_ref(),
            b"log in first: this chat is for members\n"
        );
    }
    web.stop().await;
}

#[tokio::test]
async fn answer_404_carries_status_and_body() {
    let web = web().await;
    for url in [web.ws("/nowhere"), web.wss("/nowhere")] {
        let err = within(connect_with(&url, web.client())).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Handshake, "{err}");
        let response = err.response().expect("the 404 answer");
        assert_eq!(response.status(), 404);
        assert_eq!(response.body().as_ref(), b"no such endpoint here\n");
    }
    web.stop().await;
}

// -------------------------------------------------------------- the request we send

#[tokio::test]
async fn origin_user_agent_headers_cookies_and_userinfo_are_sent() {
    let mut web = web().await;
    let options = web
        .client()
        .origin("https://app.example")
        .user_agent("rfc6455-test/1.0")
        .header(
            http::header::HeaderName::from_static("x-trace"),
            HeaderValue::from_static("abc"),
        )
        .header(http::header::COOKIE, HeaderValue::from_static("a=1"))
        .cookie("b", "2")
        .cookie("c", "3");
    let url = format!(
        "ws://alice:s%40cret@127.0.0.1:{}/final",
        web.plain.local_addr().port()
    );
    let (ws, _) = within(connect_with(&url, options.clone())).await.unwrap();
    roundtrip(ws).await;
    let seen = web.requests().pop().unwrap();
    let h = &seen.headers;
    assert_eq!(h["origin"], "https://app.example");
    assert_eq!(h["user-agent"], "rfc6455-test/1.0");
    assert_eq!(h["x-trace"], "abc");
    assert_eq!(h.get_all("cookie").iter().count(), 1, "{h:?}");
    assert_eq!(h["cookie"], "a=1; b=2; c=3");
    assert_eq!(h["authorization"], "Basic YWxpY2U6c0BjcmV0");
    assert_eq!(
        h["host"],
        format!("127.0.0.1:{}", web.plain.local_addr().port()).as_str()
    );

    // Over TLS too, and hybi-00 carries them as well.
    let options = options.variant(rfc6455::Variant::Hybi00);
    let (ws, _) = within(connect_with(&web.wss("/final"), options))
        .await
        .unwrap();
    roundtrip(ws).await;
    let seen = web.requests().pop().unwrap();
    assert!(seen.secure);
    assert_eq!(seen.headers["origin"], "https://app.example");
    assert_eq!(seen.headers["user-agent"], "rfc6455-test/1.0");
    assert_eq!(seen.headers["cookie"], "a=1; b=2; c=3");
    web.stop().await;
}

#[tokio::test]
async fn invalid_option_values_fail_the_connect() {
    for (options, what) in [
        (ClientOptions::default().origin("bad\norigin"), "Origin"),
        (
            ClientOptions::default().user_agent("tab\u{7f}"),
            "User-Agent",
        ),
        (ClientOptions::default().cookie("a;b", "1"), "Cookie"),
        (ClientOptions::default().cookie("a", "two words"), "Cookie"),
    ] {
        let err = within(connect_with("ws://127.0.0.1:1/", options))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Handshake, "{err}");
        assert_eq!(
            err.handshake_error(),
            Some(&HandshakeError::InvalidHeader(what))
        );
    }
}

#[tokio::test]
async fn ipv6_literal_urls() {
    let server = serve_with_hook(
        ServerOptions::default()
            .listen_addr("::1".parse().unwrap())
            .port(0),
        |hs: &mut Handshake<'_>| {
            let host = hs.request().headers()["host"].clone();
            hs.headers_mut().insert("x-host-seen", host);
            Ok(())
        },
        |ws, ()| echo(ws),
    )
    .await
    .unwrap();
    let port = server.local_addr().port();
    let url = format!("ws://[::1]:{port}/v6");
    let (ws, response) = within(rfc6455::connect(&url)).await.unwrap();
    assert_eq!(
        response.headers()["x-host-seen"],
        format!("[::1]:{port}").as_str()
    );
    assert!(ws.handshake().peer_addr().unwrap().is_ipv6());
    assert_eq!(ws.handshake().url(), Some(url.as_str()));
    roundtrip(ws).await;
    server.stop().await;
}

#[tokio::test]
async fn connect_errors_and_timeouts_are_told_apart() {
    // Nothing listens: an I/O error.
    let free = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let err = within(rfc6455::connect(&format!("wss://127.0.0.1:{port}/")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");

    // A server that accepts and says nothing: the handshake timeout for ws://.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let _hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = silent.accept().await {
            held.push(tcp);
        }
    });
    let options = ClientOptions::default().handshake_timeout(Duration::from_millis(200));
    let err = within(connect_with(&format!("ws://127.0.0.1:{port}/"), options))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.to_string().contains("opening handshake"), "{err}");
    // …and the TLS timeout for wss://, which the handshake timeout does not cover.
    let options = ClientOptions::default()
        .handshake_timeout(Duration::from_secs(60))
        .tls_timeout(Duration::from_millis(200));
    let err = within(connect_with(&format!("wss://127.0.0.1:{port}/"), options))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.to_string().contains("TLS handshake"), "{err}");
}

// ---------------------------------------------------------------------- the proxy

#[tokio::test]
async fn through_a_connect_proxy_without_auth() {
    let web = web().await;
    let proxy = TestProxy::start(None, false).await;
    let options = web.client().proxy(&proxy.url()).unwrap();
    let (ws, _) = within(connect_with(&web.ws("/final"), options.clone()))
        .await
        .unwrap();
    roundtrip(ws).await;
    let (ws, _) = within(connect_with(&web.wss("/final"), options.clone()))
        .await
        .unwrap();
    assert!(matches!(ws.get_ref(), Transport::TlsClient(_)));
    roundtrip(ws).await;
    // Every hop of a redirect goes through the proxy too.
    let (ws, _) = within(connect_with(&web.ws("/to-tls"), options))
        .await
        .unwrap();
    roundtrip(ws).await;
    let targets: Vec<String> = proxy.connects().into_iter().map(|c| c.target).collect();
    let (plain, tls) = (web.plain.local_addr().port(), web.tls.local_addr().port());
    assert_eq!(
        targets,
        [
            format!("127.0.0.1:{plain}"),
            format!("localhost:{tls}"),
            format!("127.0.0.1:{plain}"),
            format!("localhost:{tls}"),
        ]
    );
    assert!(proxy.connects().iter().all(|c| c.authorization.is_none()));
    web.stop().await;
}

#[tokio::test]
async fn through_a_connect_proxy_with_basic_auth() {
    let web = web().await;
    // base64("user:secret")
    let proxy = TestProxy::start(Some("dXNlcjpzZWNyZXQ="), false).await;

    // No credentials: 407, visible in the error.
    let options = web.client().proxy(&proxy.url()).unwrap();
    let err = within(connect_with(&web.wss("/final"), options))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Proxy, "{err}");
    assert!(err.to_string().contains("407"), "{err}");
    let response = err.response().expect("the proxy's answer");
    assert_eq!(response.status(), 407);
    assert_eq!(
        response.headers()["proxy-authenticate"],
        "Basic realm=\"test proxy\""
    );
    assert_eq!(response.body().as_ref(), b"proxy credentials required\n");

    // Wrong credentials: 407 too.
    let url = format!("http://user:wrong@127.0.0.1:{}", proxy.port);
    let err = within(connect_with(
        &web.ws("/final"),
        web.client().proxy(&url).unwrap(),
    ))
    .await
    .unwrap_err();
    assert_eq!(
        err.response().map(|r| r.status().as_u16()),
        Some(407),
        "{err}"
    );

    // The right ones, from the proxy URL's userinfo, for ws:// and wss://.
    let url = format!("http://user:secret@127.0.0.1:{}/", proxy.port);
    let options = web.client().proxy(&url).unwrap();
    for target in [web.ws("/final"), web.wss("/final")] {
        let (ws, _) = within(connect_with(&target, options.clone()))
            .await
            .unwrap();
        roundtrip(ws).await;
    }
    let connects = proxy.connects();
    assert_eq!(connects.len(), 4);
    assert_eq!(
        connects[3].authorization.as_deref(),
        Some("Basic dXNlcjpzZWNyZXQ=")
    );
    web.stop().await;
}

#[tokio::test]
async fn proxy_failures() {
    // A proxy that cannot reach the target: its 502 is the error.
    let proxy = TestProxy::start(None, false).await;
    let free = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let options = ClientOptions::default().proxy(&proxy.url()).unwrap();
    let err = within(connect_with(&format!("ws://127.0.0.1:{port}/"), options))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Proxy, "{err}");
    assert_eq!(err.response().unwrap().status(), 502);

    // A proxy that never answers: the connect timeout covers CONNECT.
    let silent = TestProxy::start(None, true).await;
    let options = ClientOptions::default()
        .proxy(&silent.url())
        .unwrap()
        .connect_timeout(Duration::from_millis(300));
    let err = within(connect_with("ws://127.0.0.1:9/", options))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.to_string().contains("proxy CONNECT"), "{err}");
    assert_eq!(silent.connects()[0].target, "127.0.0.1:9");

    // Not an http:// proxy.
    for bad in ["https://127.0.0.1:3128", "socks5://127.0.0.1:1080"] {
        let err = ClientOptions::default().proxy(bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidUrl, "{err}");
    }
}
