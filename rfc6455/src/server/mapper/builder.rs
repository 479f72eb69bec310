//! Building a [`ServiceMapper`]: [`MapperBuilder`] (the hook, then the first path),
//! [`PathBuilder`] (entries, more paths), and the checks `build` makes.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use regex::Regex;

use super::error::MapperError;
use super::params::{PathParams, RouteInfo};
use super::routing::{Entry, Handler, HandlerFuture, Hook, Inner, Route, ServiceMapper};
use crate::server::hook::{Handshake, Rejection};
use crate::socket::WebSocket;

impl ServiceMapper<()> {
    /// Start a table. Add paths with [`MapperBuilder::path`], entries under each path, then
    /// [`build`](PathBuilder::build) it.
    ///
    /// ```
    /// let mapper = rfc6455::ServiceMapper::builder()
    ///     .path("/echo")
    ///     .no_subprotocol(|mut ws, _| async move {
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

/// A [`ServiceMapper`] being built, before its first path: set the hook here, then add
/// paths with [`path`](Self::path).
///
/// ```
/// let builder = rfc6455::ServiceMapper::builder();
/// let mapper = builder.path("/a").no_subprotocol(|_ws, _| async {}).build()?;
/// # drop(mapper);
/// # Ok::<(), rfc6455::MapperError>(())
/// ```
#[must_use = "a builder does nothing until `build()` makes its ServiceMapper"]
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
    ///     .no_subprotocol(|_ws, _| async {})
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
///     .no_subprotocol(|_ws, _| async {})
///     .subprotocols(["a", "b"], |_ws, _| async {})
///     .build()?;
/// # drop(mapper);
/// # Ok::<(), rfc6455::MapperError>(())
/// ```
#[must_use = "a builder does nothing until `build()` makes its ServiceMapper"]
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
    ///     .no_subprotocol(|mut ws, _| async move {
    ///         let _ = ws.send_text("no subprotocol here").await;
    ///     })
    ///     .build()?;
    /// # drop(mapper);
    /// # Ok::<(), rfc6455::MapperError>(())
    /// ```
    pub fn no_subprotocol<H, F>(self, handler: H) -> Self
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
    ///     .path("/a").no_subprotocol(|_ws, _| async {})
    ///     .path("/b").no_subprotocol(|_ws, _| async {})
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
    ///     .no_subprotocol(|_ws, _| async {})
    ///     .build();
    /// assert!(matches!(result, Err(rfc6455::MapperError::InvalidPattern { .. })));
    /// ```
    pub fn build(self) -> Result<ServiceMapper<St>, MapperError> {
        self.mapper.build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_errors() {
        let err = |b: PathBuilder| b.build().unwrap_err();
        let base = || ServiceMapper::builder();
        assert!(matches!(
            err(base().path("(").no_subprotocol(|_ws, _| async {})),
            MapperError::InvalidPattern { .. }
        ));
        // Valid inside ^(?:…)$ but not alone: must not escape the anchors.
        assert!(matches!(
            err(base().path("a)|(b").no_subprotocol(|_ws, _| async {})),
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
                .no_subprotocol(|_ws, _| async {})
                .entry([None, Some("x")], |_ws, _| async {})),
            MapperError::DuplicateSubprotocol {
                pattern: "/a".into(),
                subprotocol: None
            }
        );
    }
}
