//! [`PathParams`]: what a mapped handler learns of the path that chose it.

use std::sync::Arc;

/// What a handler may ask about the pattern that matched.
#[derive(Debug)]
pub(crate) struct RouteInfo {
    /// The pattern as written in the table.
    pub(crate) pattern: String,
    /// The name of each capture group, by index (index 0 is the whole match).
    pub(crate) names: Vec<Option<String>>,
}

/// What the mapper hands a handler besides the connection: the path, the captures of the
/// pattern that matched it, and the state returned by the mapper's
/// [hook](crate::MapperBuilder::hook) (`()` without one).
///
/// Captures are the raw text of the path, not percent-decoded. Group 0 is the whole path.
///
/// ```
/// use rfc6455::{PathParams, ServiceMapper};
///
/// let mapper = ServiceMapper::builder()
///     .path(r"/rooms/(?<room>\w+)/(\d+)")
///     .no_subprotocol(|mut ws, params: PathParams| async move {
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
    /// The captures `groups` of `route`'s pattern in `path`, and the hook's `state`.
    pub(crate) fn new(
        path: String,
        groups: Vec<Option<String>>,
        route: Arc<RouteInfo>,
        state: St,
    ) -> Self {
        Self {
            path,
            groups,
            route,
            state,
        }
    }

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
