//! axum 0.8 integration (feature `axum`): the [`WebSocketUpgrade`] extractor for one
//! endpoint, and a [`ServiceMapper`](crate::ServiceMapper) mounted as a service.
//!
//! # One endpoint
//!
//! ```no_run
//! use axum::Router;
//! use axum::response::Response;
//! use axum::routing::get;
//! use rfc6455::axum::WebSocketUpgrade;
//!
//! async fn echo(upgrade: WebSocketUpgrade) -> Response {
//!     upgrade.on_upgrade(|mut ws| async move {
//!         while let Some(Ok(msg)) = ws.recv().await {
//!             if ws.send(msg).await.is_err() {
//!                 break;
//!             }
//!         }
//!     })
//! }
//!
//! # async fn demo() -> std::io::Result<()> {
//! let app = Router::new().route("/echo", get(echo));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8081").await?;
//! axum::serve(listener, app).await
//! # }
//! ```
//!
//! # A whole service mapper
//!
//! [`MapperService`](crate::MapperService) is a tower service, so a mapper mounts with
//! `route_service` (one path), `nest_service` (a prefix, which the mapper then does not
//! see) or `fallback_service` (everything the router does not route) — no feature needed:
//!
//! ```no_run
//! use axum::Router;
//! use axum::routing::get;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let mapper = rfc6455::ServiceMapper::builder()
//!     .path(r"/rooms/(?<room>\w+)")
//!     .subprotocol("chat", |mut ws, params| async move {
//!         let room = params.get("room").unwrap_or_default().to_owned();
//!         let _ = ws.send_text(&format!("welcome to {room}")).await;
//!     })
//!     .build()?;
//! let app = Router::new()
//!     .route("/", get(|| async { "the page" }))
//!     .fallback_service(mapper.into_service());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8081").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```

use std::fmt;
use std::future::Future;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{Request, StatusCode};
use hyper::upgrade::OnUpgrade;
use rfc6455_proto::HandshakeError;
use rfc6455_proto::handshake;

use crate::config::Config;
use crate::socket::WebSocket;

/// An axum extractor for a WebSocket upgrade request; answer it with
/// [`on_upgrade`](Self::on_upgrade), which returns the `101` response and runs the
/// callback with the connection.
///
/// Extraction fails with an [`UpgradeRejection`] when the request is not a valid RFC 6455
/// upgrade (`400`, or `426` for another `Sec-WebSocket-Version`), or when the connection
/// cannot be upgraded (`426`; for example a request built by hand in a test). Use
/// `Option<WebSocketUpgrade>` or `Result<WebSocketUpgrade, UpgradeRejection>` to serve
/// plain HTTP on the same route.
///
/// ```no_run
/// use axum::response::Response;
/// use rfc6455::axum::WebSocketUpgrade;
///
/// async fn chat(upgrade: WebSocketUpgrade) -> Response {
///     upgrade
///         .subprotocols(["chat.v2", "chat"])
///         .on_upgrade(|mut ws| async move {
///             let version = ws.subprotocol().unwrap_or("none").to_owned();
///             let _ = ws.send_text(&format!("speaking {version}")).await;
///         })
/// }
/// ```
#[must_use = "the upgrade is answered only by on_upgrade's response"]
pub struct WebSocketUpgrade {
    /// The request head, with hyper's upgrade handle in its extensions.
    request: Request<()>,
    offered: Vec<String>,
    supported: Vec<String>,
    config: Config,
}

impl fmt::Debug for WebSocketUpgrade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketUpgrade")
            .field("uri", self.request.uri())
            .field("offered", &self.offered)
            .field("supported", &self.supported)
            .field("config", &self.config)
            .finish()
    }
}

impl WebSocketUpgrade {
    /// The subprotocols the client offered, in its order of preference.
    ///
    /// ```
    /// # fn f(upgrade: &rfc6455::axum::WebSocketUpgrade) {
    /// let wants_json = upgrade.offered_subprotocols().iter().any(|p| p == "json");
    /// # }
    /// ```
    pub fn offered_subprotocols(&self) -> &[String] {
        &self.offered
    }

    /// The subprotocols this endpoint speaks: the first one the client offered, in the
    /// client's order, is answered in `Sec-WebSocket-Protocol`; with none in common, the
    /// connection goes ahead without a subprotocol (check [`WebSocket::subprotocol`]).
    ///
    /// ```
    /// # fn f(upgrade: rfc6455::axum::WebSocketUpgrade) {
    /// let upgrade = upgrade.subprotocols(["chat"]);
    /// # }
    /// ```
    pub fn subprotocols<I, S>(mut self, subprotocols: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.supported = subprotocols.into_iter().map(Into::into).collect();
        self
    }

    /// The settings of the connection. Default [`Config::default`].
    ///
    /// ```
    /// # fn f(upgrade: rfc6455::axum::WebSocketUpgrade) {
    /// let upgrade = upgrade.config(rfc6455::Config::default().idle_timeout(None));
    /// # }
    /// ```
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Accept: returns the `101 Switching Protocols` response for the handler to return,
    /// and runs `callback` with the connection on a new task once hyper has sent it.
    ///
    /// ```no_run
    /// # fn f(upgrade: rfc6455::axum::WebSocketUpgrade) -> axum::response::Response {
    /// upgrade.on_upgrade(|mut ws| async move {
    ///     let _ = ws.send_text("hello").await;
    /// })
    /// # }
    /// ```
    pub fn on_upgrade<C, F>(mut self, callback: C) -> Response
    where
        C: FnOnce(WebSocket) -> F + Send + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let supported: Vec<&str> = self.supported.iter().map(String::as_str).collect();
        match crate::upgrade(&mut self.request, self.config, &supported) {
            Ok((response, connection)) => {
                tokio::spawn(async move {
                    match connection.await {
                        Ok(ws) => callback(ws).await,
                        Err(e) => tracing::debug!("upgrade failed: {e}"),
                    }
                });
                response.into_response()
            }
            // Checked when extracted; kept for completeness.
            Err(e) => UpgradeRejection::Handshake(e).into_response(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for WebSocketUpgrade {
    type Rejection = UpgradeRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let mut request = Request::new(());
        *request.method_mut() = parts.method.clone();
        *request.uri_mut() = parts.uri.clone();
        *request.version_mut() = parts.version;
        *request.headers_mut() = parts.headers.clone();
        let offer = handshake::check_request(&request).map_err(UpgradeRejection::Handshake)?;
        let on_upgrade = parts
            .extensions
            .remove::<OnUpgrade>()
            .ok_or(UpgradeRejection::NotUpgradable)?;
        request.extensions_mut().insert(on_upgrade);
        Ok(Self {
            request,
            offered: offer.subprotocols().to_vec(),
            supported: Vec::new(),
            config: Config::default(),
        })
    }
}

/// `Option<WebSocketUpgrade>`: `None` for a plain HTTP request (no `Upgrade: websocket`),
/// so one route can serve a page and a WebSocket; an invalid upgrade is still refused.
///
/// ```no_run
/// use axum::response::{IntoResponse, Response};
/// use rfc6455::axum::WebSocketUpgrade;
///
/// async fn page_or_socket(upgrade: Option<WebSocketUpgrade>) -> Response {
///     match upgrade {
///         Some(upgrade) => upgrade.on_upgrade(|mut ws| async move {
///             let _ = ws.send_text("hello").await;
///         }),
///         None => "<h1>the page</h1>".into_response(),
///     }
/// }
/// ```
impl<S: Send + Sync> OptionalFromRequestParts<S> for WebSocketUpgrade {
    type Rejection = UpgradeRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        if handshake::header_has_token(&parts.headers, http::header::UPGRADE, "websocket") {
            <Self as FromRequestParts<S>>::from_request_parts(parts, state)
                .await
                .map(Some)
        } else {
            Ok(None)
        }
    }
}

/// Why a request could not be extracted as a [`WebSocketUpgrade`]; as a response, the
/// answer the client should get.
///
/// ```
/// use axum::response::IntoResponse;
/// let rejection = rfc6455::axum::UpgradeRejection::NotUpgradable;
/// assert_eq!(rejection.into_response().status(), 426);
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum UpgradeRejection {
    /// Not a valid RFC 6455 opening handshake; answered `400`, or `426` with
    /// `Sec-WebSocket-Version: 13` for another version.
    Handshake(HandshakeError),
    /// The request carries no upgrade handle: the server does not support upgrades, or
    /// the request was not read from a connection (answered `426`).
    NotUpgradable,
}

impl fmt::Display for UpgradeRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Handshake(e) => write!(f, "invalid WebSocket upgrade: {e}"),
            Self::NotUpgradable => f.write_str("this connection cannot be upgraded"),
        }
    }
}

impl std::error::Error for UpgradeRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Handshake(e) => Some(e),
            Self::NotUpgradable => None,
        }
    }
}

impl IntoResponse for UpgradeRejection {
    fn into_response(self) -> Response {
        match self {
            Self::Handshake(e) => handshake::reject(&e).into_response(),
            Self::NotUpgradable => (
                StatusCode::UPGRADE_REQUIRED,
                "This connection cannot be upgraded to a WebSocket.\n",
            )
                .into_response(),
        }
    }
}
