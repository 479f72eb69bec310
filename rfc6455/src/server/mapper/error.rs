//! [`MapperError`]: the mistakes in a service mapper's table, found when it is built.

use std::fmt;

/// A mistake in a [`ServiceMapper`](crate::ServiceMapper)'s table, found when it is built.
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
