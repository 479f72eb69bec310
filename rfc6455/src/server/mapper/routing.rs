//! Routing upgrades by URL path and subprotocol: [`ServiceMapper`] (the original's
//! `ws-service-mapper`), the table, and how it picks an entry for a request.
//!
//! A mapper is an [`Endpoint`] like any other server application: its routing is the
//! handshake hook (it picks the entry and the subprotocol, or refuses `404`/`400`, then
//! runs the mapper's own hook), and the entry it picks is the handler.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use regex::Regex;

use super::params::{PathParams, RouteInfo};
use crate::server::accept::plain_http_answer;
use crate::server::endpoint::{Connection, Endpoint, Erased};
use crate::server::hook::{Handshake, Rejection};
use crate::socket::WebSocket;

/// The future of a mapped handler.
pub(super) type HandlerFuture = Pin<Box<dyn Future<Output = ()> + Send>>;
/// An entry's handler, its types erased.
pub(super) type Handler<St> = Arc<dyn Fn(WebSocket, PathParams<St>) -> HandlerFuture + Send + Sync>;
/// The mapper's own handshake hook, its types erased.
pub(super) type Hook<St> = Box<dyn Fn(&mut Handshake<'_>) -> Result<St, Rejection> + Send + Sync>;

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
///         .no_subprotocol(|ws, _| test_service(ws))
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
///    subprotocol, the entry added with [`none`](crate::PathBuilder::no_subprotocol) is chosen.
/// 3. **Hook.** The [hook](crate::MapperBuilder::hook), if any, runs: it may add response
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
/// | a pattern matches, but no entry fits: the client offered subprotocols and the path's entries list none of them, or it offered none and the path has no [`none`](crate::PathBuilder::no_subprotocol) entry | `400 Bad Request`, naming what the path serves |
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
/// [`build`](crate::PathBuilder::build) checks the whole table and returns a [`MapperError`](crate::MapperError) for
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
    pub(super) inner: Arc<Inner<St>>,
}

/// The checked table, shared by the clones of a mapper.
pub(super) struct Inner<St> {
    pub(super) routes: Vec<Route<St>>,
    pub(super) hook: Hook<St>,
}

/// A row of the table: a path pattern and its entries, in order.
pub(super) struct Route<St> {
    /// The pattern, anchored at both ends.
    pub(super) regex: Regex,
    pub(super) info: Arc<RouteInfo>,
    pub(super) entries: Vec<Entry<St>>,
}

/// An entry of a row: the subprotocols it serves and its handler.
pub(super) struct Entry<St> {
    /// `None` stands for "the client offered no subprotocol".
    pub(super) subprotocols: Vec<Option<String>>,
    pub(super) handler: Handler<St>,
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

impl<St: Send + 'static> ServiceMapper<St> {
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
        let params = PathParams::new(path, groups, route.info.clone(), state);
        Ok((entry.handler.clone(), params))
    }

    /// The first route whose pattern matches the whole of `path`, with its captures.
    pub(super) fn find(&self, path: &str) -> Option<(&Route<St>, Vec<Option<String>>)> {
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
    pub(super) fn select<'a>(
        &'a self,
        offered: &'a [String],
    ) -> Option<(&'a Entry<St>, Option<&'a str>)> {
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
    /// The routing is the hook; the entry it picks, bound to its [`PathParams`], is the
    /// handler.
    fn open(&self, hs: &mut Handshake<'_>) -> Result<Connection, Rejection> {
        let (handler, params) = self.route(hs)?;
        Ok(Box::new(Erased(move |ws| handler(ws, params))))
    }

    /// `426 Upgrade Required` on a mapped path, `404 Not Found` elsewhere.
    fn plain(&self, req: &Request<()>) -> Response<Bytes> {
        if self.find(req.uri().path()).is_some() {
            return plain_http_answer();
        }
        let mut response =
            Response::new(Bytes::from_static(b"No WebSocket service at this path.\n"));
        *response.status_mut() = StatusCode::NOT_FOUND;
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> ServiceMapper {
        ServiceMapper::builder()
            .path("/test")
            .no_subprotocol(|_ws, _| async {})
            .subprotocol("subprotocol", |_ws, _| async {})
            .subprotocols(["b", "a"], |_ws, _| async {})
            .path(r"/rooms/(?<room>\w+)")
            .subprotocol("chat", |_ws, _| async {})
            .path("/test.*")
            .no_subprotocol(|_ws, _| async {})
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
    fn captures() {
        let mapper = ServiceMapper::builder()
            .path(r"/r/(?<room>\w+)(/(\d+))?")
            .no_subprotocol(|_ws, _| async {})
            .build()
            .unwrap();
        let (route, groups) = mapper.find("/r/lobby/7").unwrap();
        let params = PathParams::new("/r/lobby/7".into(), groups, route.info.clone(), ());
        assert_eq!(params.get("room"), Some("lobby"));
        assert_eq!(params.at(3), Some("7"));
        assert_eq!(params.at(0), Some("/r/lobby/7"));
        assert_eq!(params.get("nope"), None);
        assert_eq!(params.named().collect::<Vec<_>>(), [("room", "lobby")]);
        let (_, groups) = mapper.find("/r/lobby").unwrap();
        assert_eq!(groups[3], None);
    }

    #[test]
    fn plain_requests_get_426_on_mapped_paths_and_404_elsewhere() {
        let get = |path: &str| Request::get(path).body(()).unwrap();
        assert_eq!(table().plain(&get("/test")).status(), 426);
        assert_eq!(table().plain(&get("/nowhere")).status(), 404);
    }
}
