//! [`MapperService`]: a [`ServiceMapper`] as a hyper and tower service, for an existing
//! hyper or axum application.

use std::convert::Infallible;
use std::fmt;
use std::future::{Ready, ready};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use rfc6455_proto::hybi00::FramingMode;

use super::routing::ServiceMapper;
use crate::config::Config;
use crate::server::accept::ConnInfo;
use crate::server::endpoint;
use crate::server::settings::Settings;

/// A [`ServiceMapper`] as a service, to mount in an existing hyper or axum application.
///
/// It implements both hyper's `Service` (for `hyper::server::conn::http1` and
/// `service_fn`-style code) and tower's `Service` (for axum's `Router::route_service`,
/// `nest_service` and `fallback_service`), for requests with any body. Each request is
/// answered as [`serve_mapped`](crate::serve_mapped) would: `101` and the handler spawned
/// on a fresh tokio task, or the refusal; a plain HTTP request gets `426` on a mapped path
/// and `404` elsewhere.
///
/// Its settings are fixed when it is built, with the defaults of
/// [`ServerOptions`](crate::ServerOptions):
///
/// | setting | default |
/// |---|---|
/// | [`config`](Self::config) | [`Config::default`] |
/// | [`hybi00`](Self::hybi00) | off: only RFC 6455 upgrades are accepted |
/// | [`handshake_timeout`](Self::handshake_timeout) | 60 s for a hybi-00 client's key3 (hyper reads the request head) |
///
/// Connections are not tracked: stopping the application does not close them.
///
/// # Common issues
/// - The hyper connection must be served `.with_upgrades()`; axum's `serve` does it.
/// - Under axum's `nest_service("/ws", …)`, the mapper sees the path with `/ws` removed.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use hyper::server::conn::http1;
/// use hyper_util::rt::TokioIo;
///
/// let mapper = rfc6455::ServiceMapper::builder()
///     .path("/echo")
///     .no_subprotocol(|mut ws, _| async move {
///         while let Some(Ok(msg)) = ws.recv().await {
///             if ws.send(msg).await.is_err() {
///                 break;
///             }
///         }
///     })
///     .build()
///     .expect("valid table");
/// let service = mapper.into_service();
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8081").await?;
/// loop {
///     let (tcp, _) = listener.accept().await?;
///     let service = service.clone();
///     tokio::spawn(async move {
///         let conn = http1::Builder::new()
///             .serve_connection(TokioIo::new(tcp), service)
///             .with_upgrades();
///         let _ = conn.await;
///     });
/// }
/// # }
/// ```
#[must_use = "a service does nothing until a hyper or axum server calls it"]
pub struct MapperService<St = ()> {
    mapper: ServiceMapper<St>,
    /// Shared by the clones (one per hyper connection) and by every connection.
    settings: Arc<Settings>,
}

impl<St: Send + 'static> ServiceMapper<St> {
    /// This table as a hyper and tower service, to mount inside an existing hyper or axum
    /// application, with the defaults of [`MapperService`]'s settings (the connections use
    /// [`Config::default`] unless [`MapperService::config`] says otherwise; hybi-00 is
    /// off).
    ///
    /// ```
    /// let mapper = rfc6455::ServiceMapper::builder()
    ///     .path("/ws")
    ///     .no_subprotocol(|mut ws, _| async move {
    ///         let _ = ws.send_text("hello").await;
    ///     })
    ///     .build()?;
    /// let service = mapper.into_service().config(rfc6455::Config::default());
    /// // axum: Router::new().route("/", get(page)).fallback_service(service)
    /// # drop(service);
    /// # Ok::<(), rfc6455::MapperError>(())
    /// ```
    pub fn into_service(self) -> MapperService<St> {
        MapperService {
            mapper: self,
            settings: Arc::default(),
        }
    }
}

impl<St> Clone for MapperService<St> {
    fn clone(&self) -> Self {
        Self {
            mapper: self.mapper.clone(),
            settings: self.settings.clone(),
        }
    }
}

impl<St> fmt::Debug for MapperService<St> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapperService")
            .field("mapper", &self.mapper)
            .field("config", &*self.settings.config)
            .field("hybi00", &self.settings.hybi00)
            .field("handshake_timeout", &self.settings.handshake_timeout)
            .finish()
    }
}

impl<St: Send + 'static> MapperService<St> {
    /// The settings of every connection (limits, idle timeout, …). Default
    /// [`Config::default`].
    ///
    /// ```
    /// # let mapper = rfc6455::ServiceMapper::builder().build().unwrap();
    /// let service = mapper
    ///     .into_service()
    ///     .config(rfc6455::Config::default().idle_timeout(None));
    /// # drop(service);
    /// ```
    pub fn config(self, config: Config) -> Self {
        self.with_settings(|settings| settings.config = Arc::new(config))
    }

    /// Whether to accept upgrades in the legacy hybi-00 draft beside RFC 6455, framed
    /// `Old`; as [`ServerOptions::hybi00`](crate::ServerOptions::hybi00). Default `false`.
    ///
    /// ```
    /// # let mapper = rfc6455::ServiceMapper::builder().build().unwrap();
    /// let service = mapper.into_service().hybi00(true);
    /// # drop(service);
    /// ```
    pub fn hybi00(self, enabled: bool) -> Self {
        self.with_settings(|settings| settings.hybi00 = enabled.then_some(FramingMode::Old))
    }

    /// Accept hybi-00 upgrades and frame them in this mode; as
    /// [`ServerOptions::hybi00_framing`](crate::ServerOptions::hybi00_framing).
    ///
    /// ```
    /// use rfc6455::proto::hybi00::FramingMode;
    /// # let mapper = rfc6455::ServiceMapper::builder().build().unwrap();
    /// let service = mapper.into_service().hybi00_framing(FramingMode::New);
    /// # drop(service);
    /// ```
    pub fn hybi00_framing(self, mode: FramingMode) -> Self {
        self.with_settings(|settings| settings.hybi00 = Some(mode))
    }

    /// How long a hybi-00 client may take to send the 8 bytes that follow its request
    /// head (hyper reads the head itself, under the application's own limits). Default
    /// 60 s, as [`ServerOptions::handshake_timeout`](crate::ServerOptions::handshake_timeout).
    ///
    /// ```
    /// use std::time::Duration;
    /// # let mapper = rfc6455::ServiceMapper::builder().build().unwrap();
    /// let service = mapper.into_service().hybi00(true).handshake_timeout(Duration::from_secs(10));
    /// # drop(service);
    /// ```
    pub fn handshake_timeout(self, timeout: Duration) -> Self {
        self.with_settings(|settings| settings.handshake_timeout = timeout)
    }

    /// This service with `change` made to its settings (before any clone serves).
    fn with_settings(mut self, change: impl FnOnce(&mut Settings)) -> Self {
        change(Arc::make_mut(&mut self.settings));
        self
    }

    /// Answer one request; the same as calling the service, for use inside a hand-written
    /// hyper service.
    ///
    /// ```
    /// # let mapper = rfc6455::ServiceMapper::builder().build().unwrap();
    /// let service = mapper.into_service();
    /// let response = service.respond(http::Request::get("/nowhere").body(()).unwrap());
    /// assert_eq!(response.status(), 404);
    /// ```
    pub fn respond<B>(&self, mut req: Request<B>) -> Response<Full<Bytes>> {
        let on_upgrade = hyper::upgrade::on(&mut req);
        let (parts, _body) = req.into_parts();
        let req = Request::from_parts(parts, ());
        endpoint::answer_hyper(
            &req,
            on_upgrade,
            &self.mapper,
            &self.settings,
            &ConnInfo::default(),
            None,
        )
    }
}

impl<St: Send + 'static, B> hyper::service::Service<Request<B>> for MapperService<St> {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn call(&self, req: Request<B>) -> Self::Future {
        ready(Ok(self.respond(req)))
    }
}

impl<St: Send + 'static, B> tower_service::Service<Request<B>> for MapperService<St> {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        ready(Ok(self.respond(req)))
    }
}
