//! Routing upgrades by URL path and subprotocol: [`ServiceMapper`] (the original's
//! `ws-service-mapper`), served by [`serve_mapped`](crate::serve_mapped) or mounted in a
//! hyper or axum application as a [`MapperService`].

use std::convert::Infallible;
use std::fmt;
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use regex::Regex;
use rfc6455_proto::handshake;

use super::hook::{Handshake, Rejection};
use super::listener::{self, ConnContext, Endpoint, Via};
use crate::config::Config;
use crate::socket::WebSocket;

type HandlerFuture = Pin<Box<dyn Future<Output = ()> + Send>>;
type Handler<St> = Arc<dyn Fn(WebSocket, PathParams<St>) -> HandlerFuture + Send + Sync>;
type Hook<St> = Box<dyn Fn(&mut Handshake<'_>) -> Result<St, Rejection> + Send + Sync>;

/// An ordered table of WebSocket services, chosen by URL path and by subprotocol: the
/// original's `ws-service-mapper`.
///
/// Each row is a path pattern (a [regular expression](https://docs.rs/regex/latest/regex/#syntax))
/// with an ordered list of entries; an entry lists the subprotocols it speaks — or "none",
/// for clients that offer no subprotocol — and the handler that serves them.
///
/// ```
/// use rfc6455::{PathParams, ServiceMapper, WebSocket};
///
/// async fn test_service(mut ws: WebSocket) {
///     let _ = ws.send_text("This is the test service").await;
/// }
///
/// let mapper = ServiceMapper::builder()
///     .path("/test")
///         .none(|ws, _| test_service(ws))
///         .subprotocol("subprotocol", |mut ws, _| async move {
///             let _ = ws.send_text("This is the subprotocol handler").await;
///         })
///     .path(r"/rooms/(?<room>\w+)")
///         .subprotocols(["chat.v2", "chat"], |mut ws, params: PathParams| async move {
///             let room = params.get("room").unwrap_or_default().to_owned();
///             let _ = ws.send_text(&format!("welcome to {room}")).await;
///         })
///     .build()?;
/// # drop(mapper);
/// # Ok::<(), rfc6455::MapperError>(())
/// ```
///
/// The same table with the [`service_mapper!`](crate::service_mapper) macro:
///
/// ```
/// use rfc6455::{PathParams, WebSocket, service_mapper};
///
/// async fn test_service(mut ws: WebSocket) {
///     let _ = ws.send_text("This is the test service").await;
/// }
///
/// let mapper = service_mapper! {
///     "/test" => {
///         none => |ws, _| test_service(ws),
///         "subprotocol" => |mut ws, _| async move {
///             let _ = ws.send_text("This is the subprotocol handler").await;
///         },
///     },
///     r"/rooms/(?<room>\w+)" => {
///         ["chat.v2", "chat"] => |mut ws, params: PathParams| async move {
///             let room = params.get("room").unwrap_or_default().to_owned();
///             let _ = ws.send_text(&format!("welcome to {room}")).await;
///         },
///     },
/// }?;
/// # drop(mapper);
/// # Ok::<(), rfc6455::MapperError>(())
/// ```
///
/// # How an upgrade request is routed
///
/// 1. **Path.** The request's path — without the query string, exactly as received (not
///    percent-decoded) — is matched against each pattern in the order they were added. A
///    pattern must match the *whole* path: `/test` does not match `/test/x` or `/x/test`
///    (the pattern is compiled as `^(?:pattern)$`). The first pattern that matches is used;
///    the later ones are not tried, even if none of its entries fits.
/// 2. **Subprotocol.** If the client sent `Sec-WebSocket-Protocol`, its tokens are tried in
///    the *client's* order of preference; for each token, the path's entries are searched
///    in order, and the first entry that lists the token is chosen. The `101` response
///    names that token in `Sec-WebSocket-Protocol`, and
///    [`WebSocket::subprotocol`] tells it to the handler. If the client sent no
///    subprotocol, the entry added with [`none`](PathBuilder::none) is chosen.
/// 3. **Hook.** The [hook](MapperBuilder::hook), if any, runs: it may add response
///    headers, refuse with any status, and returns the state the handler receives in
///    [`PathParams::state`].
/// 4. **Handler.** The server answers `101 Switching Protocols` and runs the entry's
///    handler with the connection and the [`PathParams`]: the path's captures (named and
///    positional) and the hook's state.
///
/// # Refusals
///
/// | situation | answer |
/// |---|---|
/// | no pattern matches the path | `404 Not Found` |
/// | a pattern matches, but no entry fits: the client offered subprotocols and the path's entries list none of them, or it offered none and the path has no [`none`](PathBuilder::none) entry | `400 Bad Request`, naming what the path serves |
/// | the request is not a valid upgrade (RFC 6455 §4.2.1) | `400`, or `426` for another `Sec-WebSocket-Version` |
/// | the hook refuses | the hook's [`Rejection`] |
/// | a plain HTTP request (no `Upgrade: websocket`) | to the server's [fallback](crate::ServerOptions::fallback) if it has one; otherwise `426 Upgrade Required` on a mapped path, `404` elsewhere |
///
/// Why `400` when no entry fits: the original answers `400 Bad WebSocket request`. RFC 6455
/// would also allow a `101` without any subprotocol, but a handler that speaks only `chat`
/// must not be handed a client that speaks only `superchat`, and no other handler was
/// chosen. The mapper never answers `101` with a subprotocol the client did not offer.
///
/// # Errors at build time
///
/// [`build`](PathBuilder::build) checks the whole table and returns a [`MapperError`] for
/// a pattern that is not a valid regular expression, a path without entries, an entry
/// without subprotocols, a subprotocol name that is not an HTTP token (so no client could
/// ever send it), or a subprotocol (or "none") listed twice under one path, whose second
/// entry could never be chosen.
///
/// # Serving
///
/// - [`serve_mapped`](crate::serve_mapped): a server with all of
///   [`ServerOptions`](crate::ServerOptions), including a fallback HTTP service on the
///   same port, and a [`ServerHandle`](crate::ServerHandle) to stop it.
/// - [`into_service`](Self::into_service): a hyper and tower service for an existing
///   hyper or axum application.
pub struct ServiceMapper<St = ()> {
    inner: Arc<Inner<St>>,
}

struct Inner<St> {
    routes: Vec<Route<St>>,
    hook: Hook<St>,
}

struct Route<St> {
    regex: Regex,
    info: Arc<RouteInfo>,
    entries: Vec<Entry<St>>,
}

/// What a handler may ask about the pattern that matched.
#[derive(Debug)]
struct RouteInfo {
    pattern: String,
    /// The name of each capture group, by index (index 0 is the whole match).
    names: Vec<Option<String>>,
}

struct Entry<St> {
    /// `None` stands for "the client offered no subprotocol".
    subprotocols: Vec<Option<String>>,
    handler: Handler<St>,
}

impl<St> Clone for ServiceMapper<St> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<St> fmt::Debug for ServiceMapper<St> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for route in &self.inner.routes {
            let entries: Vec<_> = route.entries.iter().map(|e| &e.subprotocols).collect();
            list.entry(&(&route.info.pattern, entries));
        }
        list.finish()
    }
}

impl ServiceMapper<()> {
    /// Start a table. Add paths with [`MapperBuilder::path`], entries under each path, then
    /// [`build`](PathBuilder::build) it.
    ///
    /// ```
    /// let mapper = rfc6455::ServiceMapper::builder()
    ///     .path("/echo")
    ///     .none(|mut ws, _| async move {
    ///         while let Some(Ok(msg)) = ws.recv().await {
    ///             if ws.send(msg).await.is_err() {
    ///                 break;
    ///             }
    ///         }
    ///     })
    ///     .build()?;
    /// # drop(mapper);
    /// # Ok::<(), rfc6455::MapperError>(())
    /// ```
    pub fn builder() -> MapperBuilder<()> {
        MapperBuilder {
            routes: Vec::new(),
            hook: Box::new(|_| Ok(())),
        }
    }
}

impl<St: Send + 'static> ServiceMapper<St> {
    /// This table as a hyper and tower service, to mount inside an existing hyper or axum
    /// application; the connections use [`Config::default`] unless
    /// [`MapperService::config`] says otherwise.
    ///
    /// ```
    /// let mapper = rfc6455::ServiceMapper::builder()
    ///     .path("/ws")
    ///     .none(|mut ws, _| async move {
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
            config: Config::default(),
        }
    }

    /// Answer `req`, spawning the chosen handler on a `101`.
    fn respond(&self, req: Request<()>, via: Via<'_>, ctx: &ConnContext) -> Response<Full<Bytes>> {
        if !handshake::is_upgrade_request(&req) && self.find(req.uri().path()).is_none() {
            return text_response(
                StatusCode::NOT_FOUND,
                "No WebSocket service at this path.\n".into(),
            );
        }
        listener::accept(
            req,
            via,
            ctx,
            |hs| self.route(hs),
            |ws, (handler, params): (Handler<St>, PathParams<St>)| handler(ws, params),
        )
    }

    /// Steps 1–3 of the routing (see the type's documentation), during the handshake.
    fn route(&self, hs: &mut Handshake<'_>) -> Result<(Handler<St>, PathParams<St>), Rejection> {
        let path = hs.request().uri().path().to_owned();
        let offered = hs.offered_subprotocols().to_vec();
        let (route, groups) = self.find(&path).ok_or_else(|| {
            Rejection::new(
                StatusCode::NOT_FOUND,
                "No WebSocket service at this path.\n",
            )
        })?;
        let (entry, subprotocol) = route
            .select(&offered)
            .ok_or_else(|| route.no_entry(&offered))?;
        // Offered, so accepted; `None` only when the client offered nothing, and then the
        // hook cannot accept any either.
        if let Some(subprotocol) = subprotocol {
            hs.accept_subprotocol(subprotocol);
        }
        let state = (self.inner.hook)(hs)?;
        // The mapper's choice stands: the handler was chosen for it.
        if let Some(subprotocol) = subprotocol {
            hs.accept_subprotocol(subprotocol);
        }
        let params = PathParams {
            path,
            groups,
            route: route.info.clone(),
            state,
        };
        Ok((entry.handler.clone(), params))
    }

    /// The first route whose pattern matches the whole of `path`, with its captures.
    fn find(&self, path: &str) -> Option<(&Route<St>, Vec<Option<String>>)> {
        self.inner.routes.iter().find_map(|route| {
            let captures = route.regex.captures(path)?;
            let groups = captures
                .iter()
                .map(|group| group.map(|m| m.as_str().to_owned()))
                .collect();
            Some((route, groups))
        })
    }
}

impl<St> Route<St> {
    /// The entry for the client's offer, and the subprotocol to answer with.
    fn select<'a>(&'a self, offered: &'a [String]) -> Option<(&'a Entry<St>, Option<&'a str>)> {
        if offered.is_empty() {
            let entry = self
                .entries
                .iter()
                .find(|e| e.subprotocols.contains(&None))?;
            return Some((entry, None));
        }
        offered.iter().find_map(|token| {
            let entry = self.entries.iter().find(|e| {
                e.subprotocols
                    .iter()
                    .any(|p| p.as_deref() == Some(token.as_str()))
            })?;
            Some((entry, Some(token.as_str())))
        })
    }

    /// The `400` for an offer no entry fits, naming what this path serves.
    fn no_entry(&self, offered: &[String]) -> Rejection {
        let served: Vec<&str> = self
            .entries
            .iter()
            .flat_map(|e| &e.subprotocols)
            .map(|p| p.as_deref().unwrap_or("(none)"))
            .collect();
        let asked = if offered.is_empty() {
            "no subprotocol".to_owned()
        } else {
            format!("the subprotocols {}", offered.join(", "))
        };
        Rejection::new(
            StatusCode::BAD_REQUEST,
            format!(
                "Bad WebSocket request: this path does not serve {asked}; it serves: {}.\n",
                served.join(", ")
            ),
        )
    }
}

impl<St: Send + 'static> Endpoint for ServiceMapper<St> {
    fn handle(&self, req: Request<()>, via: Via<'_>, ctx: &ConnContext) -> Response<Full<Bytes>> {
        self.respond(req, via, ctx)
    }
}

fn text_response(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// What the mapper hands a handler besides the connection: the path, the captures of the
/// pattern that matched it, and the state returned by the mapper's
/// [hook](MapperBuilder::hook) (`()` without one).
///
/// Captures are the raw text of the path, not percent-decoded. Group 0 is the whole path.
///
/// ```
/// use rfc6455::{PathParams, ServiceMapper};
///
/// let mapper = ServiceMapper::builder()
///     .path(r"/rooms/(?<room>\w+)/(\d+)")
///     .none(|mut ws, params: PathParams| async move {
///         let room = params.get("room").unwrap_or_default(); // "lobby" for /rooms/lobby/7
///         let number = params.at(2).unwrap_or_default(); // "7"
///         let reply = format!("{room} #{number} via {}", params.pattern());
///         let _ = ws.send_text(&reply).await;
///     })
///     .build()?;
/// # drop(mapper);
/// # Ok::<(), rfc6455::MapperError>(())
/// ```
#[derive(Debug)]
pub struct PathParams<St = ()> {
    path: String,
    groups: Vec<Option<String>>,
    route: Arc<RouteInfo>,
    state: St,
}

impl<St> PathParams<St> {
    /// The text of the named capture group `name`; `None` if the pattern has no such
    /// group or it did not take part in the match (as in `(?<a>x)?`).
    ///
    /// ```
    /// # fn f(params: rfc6455::PathParams) {
    /// // pattern r"/rooms/(?<room>\w+)", path "/rooms/lobby"
    /// assert_eq!(params.get("room"), Some("lobby"));
    /// # }
    /// ```
    pub fn get(&self, name: &str) -> Option<&str> {
        let index = self
            .route
            .names
            .iter()
            .position(|n| n.as_deref() == Some(name))?;
        self.at(index)
    }

    /// The text of capture group `index`, counted from 1 by opening parenthesis as in the
    /// `regex` crate (named groups count too); 0 is the whole path.
    ///
    /// ```
    /// # fn f(params: rfc6455::PathParams) {
    /// // pattern r"/(\w+)/(\d+)", path "/page/7"
    /// assert_eq!(params.at(0), Some("/page/7"));
    /// assert_eq!(params.at(2), Some("7"));
    /// # }
    /// ```
    pub fn at(&self, index: usize) -> Option<&str> {
        self.groups.get(index)?.as_deref()
    }

    /// The named groups that took part in the match, as `(name, text)` in pattern order.
    ///
    /// ```
    /// # fn f(params: rfc6455::PathParams) {
    /// for (name, value) in params.named() {
    ///     println!("{name} = {value}");
    /// }
    /// # }
    /// ```
    pub fn named(&self) -> impl Iterator<Item = (&str, &str)> {
        self.route
            .names
            .iter()
            .zip(&self.groups)
            .filter_map(|(name, group)| Some((name.as_deref()?, group.as_deref()?)))
    }

    /// The request path that matched (without the query).
    ///
    /// ```
    /// # fn f(params: rfc6455::PathParams) {
    /// assert!(params.path().starts_with('/'));
    /// # }
    /// ```
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The pattern that matched, as written in the table.
    ///
    /// ```
    /// # fn f(params: rfc6455::PathParams) {
    /// println!("routed by {}", params.pattern());
    /// # }
    /// ```
    pub fn pattern(&self) -> &str {
        &self.route.pattern
    }

    /// The state the mapper's hook returned for this connection.
    ///
    /// ```
    /// # fn f(params: rfc6455::PathParams<String>) {
    /// let user: &String = params.state();
    /// # }
    /// ```
    pub fn state(&self) -> &St {
        &self.state
    }

    /// The hook's state, mutably.
    ///
    /// ```
    /// # fn f(mut params: rfc6455::PathParams<u32>) {
    /// *params.state_mut() += 1;
    /// # }
    /// ```
    pub fn state_mut(&mut self) -> &mut St {
        &mut self.state
    }

    /// The hook's state, taken out.
    ///
    /// ```
    /// # fn f(params: rfc6455::PathParams<String>) {
    /// let user: String = params.into_state();
    /// # }
    /// ```
    pub fn into_state(self) -> St {
        self.state
    }
}

/// A [`ServiceMapper`] being built, before its first path: set the hook here, then add
/// paths with [`path`](Self::path).
///
/// ```
/// let builder = rfc6455::ServiceMapper::builder();
/// let mapper = builder.path("/a").none(|_ws, _| async {}).build()?;
/// # drop(mapper);
/// # Ok::<(), rfc6455::MapperError>(())
/// ```
pub struct MapperBuilder<St = ()> {
    routes: Vec<PendingRoute<St>>,
    hook: Hook<St>,
}

struct PendingRoute<St> {
    pattern: String,
    entries: Vec<Entry<St>>,
}

impl<St> fmt::Debug for MapperBuilder<St> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for route in &self.routes {
            let entries: Vec<_> = route.entries.iter().map(|e| &e.subprotocols).collect();
            list.entry(&(&route.pattern, entries));
        }
        list.finish()
    }
}

impl MapperBuilder<()> {
    /// Run `hook` during every handshake the mapper routes (the original's
    /// `#:conn-headers`), after the path and entry are chosen and before the `101`.
    ///
    /// The hook sees the request and the chosen subprotocol
    /// ([`Handshake::subprotocol`]), may add response headers, may refuse with any status,
    /// and returns a state that the handler receives in [`PathParams::state`]. The
    /// subprotocol stays the one the mapper chose: a change the hook makes is ignored.
    ///
    /// ```
    /// use rfc6455::{Handshake, PathParams, Rejection, ServiceMapper};
    ///
    /// let mapper = ServiceMapper::builder()
    ///     .hook(|hs: &mut Handshake<'_>| {
    ///         let user = hs.request().headers().get("x-user")
    ///             .and_then(|v| v.to_str().ok())
    ///             .ok_or(Rejection::from(http::StatusCode::UNAUTHORIZED))?;
    ///         Ok(user.to_owned())
    ///     })
    ///     .path("/chat")
    ///     .subprotocol("chat", |mut ws, params: PathParams<String>| async move {
    ///         let _ = ws.send_text(&format!("hello {}", params.state())).await;
    ///     })
    ///     .build()?;
    /// # drop(mapper);
    /// # Ok::<(), rfc6455::MapperError>(())
    /// ```
    pub fn hook<K, St>(self, hook: K) -> MapperBuilder<St>
    where
        K: Fn(&mut Handshake<'_>) -> Result<St, Rejection> + Send + Sync + 'static,
    {
        MapperBuilder {
            routes: Vec::new(),
            hook: Box::new(hook),
        }
    }
}

impl<St> MapperBuilder<St> {
    /// Add a path pattern: a regular expression that must match the whole request path
    /// (query excluded). Paths are tried in the order they are added. Add its entries next.
    ///
    /// The pattern is checked by [`build`](PathBuilder::build).
    ///
    /// ```
    /// let mapper = rfc6455::ServiceMapper::builder()
    ///     .path(r"/files/.*")
    ///     .none(|_ws, _| async {})
    ///     .build()?;
    /// # drop(mapper);
    /// # Ok::<(), rfc6455::MapperError>(())
    /// ```
    pub fn path(mut self, pattern: impl Into<String>) -> PathBuilder<St> {
        self.routes.push(PendingRoute {
            pattern: pattern.into(),
            entries: Vec::new(),
        });
        PathBuilder { mapper: self }
    }

    /// Check the table and build it; an empty table answers every upgrade `404`.
    ///
    /// # Errors
    /// See [`PathBuilder::build`].
    ///
    /// ```
    /// let empty = rfc6455::ServiceMapper::builder().build()?;
    /// # drop(empty);
    /// # Ok::<(), rfc6455::MapperError>(())
    /// ```
    pub fn build(self) -> Result<ServiceMapper<St>, MapperError> {
        let mut routes = Vec::with_capacity(self.routes.len());
        for pending in self.routes {
            routes.push(pending.check()?);
        }
        Ok(ServiceMapper {
            inner: Arc::new(Inner {
                routes,
                hook: self.hook,
            }),
        })
    }
}

impl<St> PendingRoute<St> {
    fn check(self) -> Result<Route<St>, MapperError> {
        let pattern = self.pattern;
        // Compiled alone first: a pattern such as `a)|(b` is invalid alone, but would be
        // valid (and no longer anchored) inside `^(?:…)$`.
        let invalid = |e: regex::Error| MapperError::InvalidPattern {
            pattern: pattern.clone(),
            message: e.to_string(),
        };
        Regex::new(&pattern).map_err(invalid)?;
        let regex = Regex::new(&format!("^(?:{pattern})$")).map_err(invalid)?;
        if self.entries.is_empty() {
            return Err(MapperError::EmptyPath { pattern });
        }
        let mut seen: Vec<&Option<String>> = Vec::new();
        for entry in &self.entries {
            if entry.subprotocols.is_empty() {
                return Err(MapperError::EmptyEntry { pattern });
            }
            for subprotocol in &entry.subprotocols {
                if let Some(name) = subprotocol
                    && !is_token(name)
                {
                    return Err(MapperError::InvalidSubprotocol {
                        pattern,
                        subprotocol: name.clone(),
                    });
                }
                if seen.contains(&subprotocol) {
                    return Err(MapperError::DuplicateSubprotocol {
                        pattern,
                        subprotocol: subprotocol.clone(),
                    });
                }
                seen.push(subprotocol);
            }
        }
        let names = regex
            .capture_names()
            .map(|n| n.map(str::to_owned))
            .collect();
        Ok(Route {
            regex,
            info: Arc::new(RouteInfo { pattern, names }),
            entries: self.entries,
        })
    }
}

/// An RFC 7230 `token`, the syntax of a subprotocol name (RFC 6455 §4.1).
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A [`ServiceMapper`] being built, with at least one path: add entries to the last path,
/// start another with [`path`](Self::path), or [`build`](Self::build).
///
/// Each entry method takes a handler: an async function of the connection and its
/// [`PathParams`].
///
/// ```
/// let mapper = rfc6455::ServiceMapper::builder()
///     .path("/v1")
///     .none(|_ws, _| async {})
///     .subprotocols(["a", "b"], |_ws, _| async {})
///     .build()?;
/// # drop(mapper);
/// # Ok::<(), rfc6455::MapperError>(())
/// ```
pub struct PathBuilder<St = ()> {
    mapper: MapperBuilder<St>,
}

impl<St> fmt::Debug for PathBuilder<St> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.mapper.fmt(f)
    }
}

impl<St> PathBuilder<St> {
    /// Serve clients that offer no subprotocol (the original's `#f`).
    ///
    /// ```
    /// let mapper = rfc6455::ServiceMapper::builder()
    ///     .path("/plain")
    ///     .none(|mut ws, _| async move {
    ///         let _ = ws.send_text("no subprotocol here").await;
    ///     })
    ///     .build()?;
    /// # drop(mapper);
    /// # Ok::<(), rfc6455::MapperError>(())
    /// ```
    pub fn none<H, F>(self, handler: H) -> Self
    where
        H: Fn(WebSocket, PathParams<St>) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        self.entry([None::<&str>], handler)
    }

    /// Serve clients that offer `subprotocol` (unless one of their earlier preferences is
    /// served by another entry of this path).
    ///
    /// ```
    /// let mapper = rfc6455::ServiceMapper::builder()
    ///     .path("/test")
    ///     .subprotocol("subprotocol", |mut ws, _| async move {
    ///         let _ = ws.send_text("This is the subprotocol handler").await;
    ///     })
    ///     .build()?;
    /// # drop(mapper);
    /// # Ok::<(), rfc6455::MapperError>(())
    /// ```
    pub fn subprotocol<H, F>(self, subprotocol: &str, handler: H) -> Self
    where
        H: Fn(WebSocket, PathParams<St>) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        self.entry([Some(subprotocol)], handler)
    }

    /// Serve clients that offer any of `subprotocols` with one handler; it learns which
    /// from [`WebSocket::subprotocol`].
    ///
    /// ```
    /// let mapper = rfc6455::ServiceMapper::builder()
    ///     .path("/chat")
    ///     .subprotocols(["chat.v2", "chat"], |ws, _| async move {
    ///         let v2 = ws.subprotocol() == Some("chat.v2");
    ///         # let _ = v2;
    ///     })
    ///     .build()?;
    /// # drop(mapper);
    /// # Ok::<(), rfc6455::MapperError>(())
    /// ```
    pub fn subprotocols<I, S, H, F>(self, subprotocols: I, handler: H) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
        H: Fn(WebSocket, PathParams<St>) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let list: Vec<Option<String>> = subprotocols
            .into_iter()
            .map(|s| Some(s.as_ref().to_owned()))
            .collect();
        self.push(list, handler)
    }

    /// The general entry, as a row of the original's table: `None` in the list stands for
    /// "no subprotocol offered".
    ///
    /// ```
    /// // Clients offering nothing and clients offering "json" get the same handler.
    /// let mapper = rfc6455::ServiceMapper::builder()
    ///     .path("/api")
    ///     .entry([None, Some("json")], |_ws, _| async {})
    ///     .build()?;
    /// # drop(mapper);
    /// # Ok::<(), rfc6455::MapperError>(())
    /// ```
    pub fn entry<I, S, H, F>(self, subprotocols: I, handler: H) -> Self
    where
        I: IntoIterator<Item = Option<S>>,
        S: AsRef<str>,
        H: Fn(WebSocket, PathParams<St>) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let list: Vec<Option<String>> = subprotocols
            .into_iter()
            .map(|s| s.map(|s| s.as_ref().to_owned()))
            .collect();
        self.push(list, handler)
    }

    fn push<H, F>(mut self, subprotocols: Vec<Option<String>>, handler: H) -> Self
    where
        H: Fn(WebSocket, PathParams<St>) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let handler: Handler<St> =
            Arc::new(move |ws, params| Box::pin(handler(ws, params)) as HandlerFuture);
        if let Some(route) = self.mapper.routes.last_mut() {
            route.entries.push(Entry {
                subprotocols,
                handler,
            });
        }
        self
    }

    /// Add the next path pattern (see [`MapperBuilder::path`]).
    ///
    /// ```
    /// let mapper = rfc6455::ServiceMapper::builder()
    ///     .path("/a").none(|_ws, _| async {})
    ///     .path("/b").none(|_ws, _| async {})
    ///     .build()?;
    /// # drop(mapper);
    /// # Ok::<(), rfc6455::MapperError>(())
    /// ```
    pub fn path(self, pattern: impl Into<String>) -> Self {
        self.mapper.path(pattern)
    }

    /// Check the table and build it.
    ///
    /// # Errors
    /// A [`MapperError`] for the first row in error: an invalid pattern, a path without
    /// entries, an entry without subprotocols, a subprotocol that is not an HTTP token, or
    /// a subprotocol (or "none") listed twice under one path.
    ///
    /// ```
    /// let result = rfc6455::ServiceMapper::builder()
    ///     .path("/rooms/(unclosed")
    ///     .none(|_ws, _| async {})
    ///     .build();
    /// assert!(matches!(result, Err(rfc6455::MapperError::InvalidPattern { .. })));
    /// ```
    pub fn build(self) -> Result<ServiceMapper<St>, MapperError> {
        self.mapper.build()
    }
}

/// A mistake in a [`ServiceMapper`]'s table, found when it is built.
///
/// ```
/// let err = rfc6455::ServiceMapper::builder()
///     .path("/x")
///     .subprotocol("chat", |_ws, _| async {})
///     .subprotocol("chat", |_ws, _| async {})
///     .build()
///     .unwrap_err();
/// assert_eq!(err.to_string(), "path /x: subprotocol \"chat\" is listed twice; the second entry could never be chosen");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MapperError {
    /// The pattern is not a valid regular expression. Remedy: fix the pattern (the
    /// message says where); see the `regex` crate's syntax.
    InvalidPattern {
        /// The pattern as given.
        pattern: String,
        /// The regular expression compiler's explanation.
        message: String,
    },
    /// The path has no entries, so every upgrade to it would get `400`. Remedy: add an
    /// entry, or remove the path.
    EmptyPath {
        /// The pattern.
        pattern: String,
    },
    /// An entry lists no subprotocol and not "none", so it could never be chosen.
    EmptyEntry {
        /// The pattern of its path.
        pattern: String,
    },
    /// A subprotocol name that is not an HTTP token (RFC 6455 §4.1: empty, or with spaces,
    /// commas or other separators), which no client could offer.
    InvalidSubprotocol {
        /// The pattern of its path.
        pattern: String,
        /// The name.
        subprotocol: String,
    },
    /// A subprotocol (or "none", as `None`) listed by two entries of one path: the second
    /// could never be chosen. Remedy: remove one, or merge the entries.
    DuplicateSubprotocol {
        /// The pattern of its path.
        pattern: String,
        /// The name, `None` for "none".
        subprotocol: Option<String>,
    },
}

impl fmt::Display for MapperError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidPattern { pattern, message } => {
                write!(f, "path {pattern}: invalid regular expression: {message}")
            }
            Self::EmptyPath { pattern } => write!(f, "path {pattern}: no entries"),
            Self::EmptyEntry { pattern } => {
                write!(f, "path {pattern}: an entry lists no subprotocol")
            }
            Self::InvalidSubprotocol {
                pattern,
                subprotocol,
            } => write!(
                f,
                "path {pattern}: subprotocol {subprotocol:?} is not a valid token"
            ),
            Self::DuplicateSubprotocol {
                pattern,
                subprotocol,
            } => match subprotocol {
                Some(name) => write!(
                    f,
                    "path {pattern}: subprotocol {name:?} is listed twice; the second entry could never be chosen"
                ),
                None => write!(
                    f,
                    "path {pattern}: \"none\" is listed twice; the second entry could never be chosen"
                ),
            },
        }
    }
}

impl std::error::Error for MapperError {}

/// A [`ServiceMapper`] as a service, to mount in an existing hyper or axum application.
///
/// It implements both hyper's `Service` (for `hyper::server::conn::http1` and
/// `service_fn`-style code) and tower's `Service` (for axum's `Router::route_service`,
/// `nest_service` and `fallback_service`), for requests with any body. Each request is
/// answered as [`serve_mapped`](crate::serve_mapped) would: `101` and the handler spawned
/// on a fresh tokio task, or the refusal; a plain HTTP request gets `426` on a mapped path
/// and `404` elsewhere.
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
///     .none(|mut ws, _| async move {
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
pub struct MapperService<St = ()> {
    mapper: ServiceMapper<St>,
    config: Config,
}

impl<St> Clone for MapperService<St> {
    fn clone(&self) -> Self {
        Self {
            mapper: self.mapper.clone(),
            config: self.config,
        }
    }
}

impl<St> fmt::Debug for MapperService<St> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapperService")
            .field("mapper", &self.mapper)
            .field("config", &self.config)
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
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
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
        let ctx = ConnContext {
            config: Arc::new(self.config),
            hybi00: Some(rfc6455_proto::hybi00::FramingMode::Old),
            handshake_timeout: std::time::Duration::from_secs(60),
            local_addr: None,
            peer_addr: None,
            secure: false,
            registry: Arc::default(),
        };
        let req = Request::from_parts(parts, ());
        self.mapper.respond(req, Via::Hyper(on_upgrade), &ctx)
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

/// Build a [`ServiceMapper`] from a table that reads like the original's
/// `ws-service-mapper`; expands to the [builder](ServiceMapper::builder) calls and
/// returns `Result<ServiceMapper, MapperError>`.
///
/// Each path pattern maps to its entries, in order. An entry's key is `none` (no
/// subprotocol offered), a subprotocol name, or a list of them in brackets, which may mix
/// `none` and names. Handlers are as for [`PathBuilder::entry`]. For a
/// [hook](MapperBuilder::hook), use the builder.
///
/// ```
/// use rfc6455::service_mapper;
///
/// let mapper = service_mapper! {
///     "/test" => {
///         none => |mut ws, _| async move { let _ = ws.send_text("test").await; },
///         "subprotocol" => |mut ws, _| async move {
///             let _ = ws.send_text("This is the subprotocol handler").await;
///         },
///     },
///     "/api/v[12]" => {
///         [none, "json"] => |_ws, _| async {},
///     },
/// }?;
/// # drop(mapper);
/// # Ok::<(), rfc6455::MapperError>(())
/// ```
#[macro_export]
macro_rules! service_mapper {
    (@entry $builder:ident, none, $handler:expr) => {
        $builder.none($handler)
    };
    (@entry $builder:ident, [ $( $protocol:tt ),* $(,)? ], $handler:expr) => {
        $builder.entry([ $( $crate::service_mapper!(@protocol $protocol) ),* ], $handler)
    };
    (@entry $builder:ident, $protocol:literal, $handler:expr) => {
        $builder.subprotocol($protocol, $handler)
    };
    (@protocol none) => {
        ::core::option::Option::None::<&str>
    };
    (@protocol $protocol:literal) => {
        ::core::option::Option::Some($protocol)
    };
    ( $( $path:expr => { $( $key:tt => $handler:expr ),* $(,)? } ),* $(,)? ) => {{
        let builder = $crate::ServiceMapper::builder();
        $(
            let builder = builder.path($path);
            $( let builder = $crate::service_mapper!(@entry builder, $key, $handler); )*
        )*
        builder.build()
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> ServiceMapper {
        ServiceMapper::builder()
            .path("/test")
            .none(|_ws, _| async {})
            .subprotocol("subprotocol", |_ws, _| async {})
            .subprotocols(["b", "a"], |_ws, _| async {})
            .path(r"/rooms/(?<room>\w+)")
            .subprotocol("chat", |_ws, _| async {})
            .path("/test.*")
            .none(|_ws, _| async {})
            .build()
            .unwrap()
    }

    fn offered(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    /// The pattern and the index of the entry chosen, and the subprotocol.
    fn choose(path: &str, list: &[&str]) -> Option<(String, usize, Option<String>)> {
        let mapper = table();
        let offered = offered(list);
        let (route, _) = mapper.find(path)?;
        let (entry, proto) = route.select(&offered)?;
        let index = route
            .entries
            .iter()
            .position(|e| std::ptr::eq(e, entry))
            .unwrap();
        Some((route.info.pattern.clone(), index, proto.map(str::to_owned)))
    }

    #[test]
    fn whole_path_and_order() {
        assert_eq!(choose("/test", &[]).unwrap().0, "/test");
        assert_eq!(choose("/testing", &[]).unwrap().0, "/test.*");
        assert!(choose("/x/test", &[]).is_none());
        assert!(choose("/rooms/a/b", &["chat"]).is_none());
    }

    #[test]
    fn client_order_wins() {
        // The client prefers "a"; the entry order of the path does not matter.
        assert_eq!(
            choose("/test", &["zzz", "a", "subprotocol"]).unwrap(),
            ("/test".into(), 2, Some("a".into()))
        );
        assert_eq!(
            choose("/test", &["subprotocol", "a"]).unwrap(),
            ("/test".into(), 1, Some("subprotocol".into()))
        );
        assert_eq!(choose("/test", &[]).unwrap().1, 0);
        assert!(choose("/test", &["nope"]).is_none());
        assert!(choose("/rooms/x", &[]).is_none());
    }

    #[test]
    fn build_errors() {
        let err = |b: PathBuilder| b.build().unwrap_err();
        let base = || ServiceMapper::builder();
        assert!(matches!(
            err(base().path("(").none(|_ws, _| async {})),
            MapperError::InvalidPattern { .. }
        ));
        // Valid inside ^(?:…)$ but not alone: must not escape the anchors.
        assert!(matches!(
            err(base().path("a)|(b").none(|_ws, _| async {})),
            MapperError::InvalidPattern { .. }
        ));
        assert!(matches!(
            base().path("/a").build().unwrap_err(),
            MapperError::EmptyPath { .. }
        ));
        assert!(matches!(
            err(base()
                .path("/a")
                .entry(Vec::<Option<&str>>::new(), |_ws, _| async {})),
            MapperError::EmptyEntry { .. }
        ));
        assert!(matches!(
            err(base().path("/a").subprotocol("a b", |_ws, _| async {})),
            MapperError::InvalidSubprotocol { .. }
        ));
        assert_eq!(
            err(base()
                .path("/a")
                .none(|_ws, _| async {})
                .entry([None, Some("x")], |_ws, _| async {})),
            MapperError::DuplicateSubprotocol {
                pattern: "/a".into(),
                subprotocol: None
            }
        );
    }

    #[test]
    fn captures() {
        let mapper = ServiceMapper::builder()
            .path(r"/r/(?<room>\w+)(/(\d+))?")
            .none(|_ws, _| async {})
            .build()
            .unwrap();
        let (route, groups) = mapper.find("/r/lobby/7").unwrap();
        let params = PathParams {
            path: "/r/lobby/7".into(),
            groups,
            route: route.info.clone(),
            state: (),
        };
        assert_eq!(params.get("room"), Some("lobby"));
        assert_eq!(params.at(3), Some("7"));
        assert_eq!(params.at(0), Some("/r/lobby/7"));
        assert_eq!(params.get("nope"), None);
        assert_eq!(params.named().collect::<Vec<_>>(), [("room", "lobby")]);
        let (_, groups) = mapper.find("/r/lobby").unwrap();
        assert_eq!(groups[3], None);
    }

    #[test]
    fn macro_builds_the_same_table() {
        let mapper = service_mapper! {
            "/test" => {
                none => |_ws, _| async {},
                "subprotocol" => |_ws, _| async {},
                ["b", "a"] => |_ws, _| async {},
            },
            "/mixed" => { [none, "x"] => |_ws, _| async {} },
        }
        .unwrap();
        assert_eq!(
            format!("{mapper:?}"),
            r#"[("/test", [[None], [Some("subprotocol")], [Some("b"), Some("a")]]), ("/mixed", [[None, Some("x")]])]"#
        );
    }
}
