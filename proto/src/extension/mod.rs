//! The `Sec-WebSocket-Extensions` header (RFC 6455 §9.1): its elements, as offered by a
//! client and answered by a server.
//!
//! RFC 6455 §9 lets the two ends agree, in the opening handshake, on extensions that change
//! the data on the wire. One is implemented: [`deflate`] (permessage-deflate, RFC 7692),
//! which owns RSV1; a frame with RSV2 or RSV3, or with RSV1 when it was not agreed, fails
//! the connection with 1002 (§5.2). The handshake reads the
//! header, strictly: a client's malformed offer is refused with 400, and a server's answer
//! that is malformed or names an extension the client did not offer fails the client's
//! handshake (§4.1 item 5). [`ExtensionOffer`] is one parsed element, as
//! [`ClientOffer::extensions`](crate::handshake::ClientOffer::extensions) and
//! [`ServerAnswer::extensions`](crate::handshake::ServerAnswer::extensions) report them.
//!
//! ```
//! use rfc6455_proto::handshake::{ClientRequest, check_request};
//!
//! let (request, _) = ClientRequest::new("ws://example.com/".parse()?, [7; 16])
//!     .extensions("permessage-deflate; client_max_window_bits, x-b; p=\"10\"")
//!     .build()?;
//! let offers = check_request(&request)?.extensions().to_vec();
//! assert_eq!(offers.len(), 2);
//! assert_eq!(offers[0].param("client_max_window_bits"), Some(None));
//! assert_eq!(offers[1].param("p"), Some(Some("10")));
//! assert_eq!(offers[1].to_string(), "x-b; p=10");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod deflate;

use std::fmt;

use http::HeaderMap;
use http::header::SEC_WEBSOCKET_EXTENSIONS;

use crate::error::HandshakeError;
use crate::token::{is_tchar, is_token};

const HEADER_NAME: &str = "Sec-WebSocket-Extensions";

/// One element of a `Sec-WebSocket-Extensions` header: an extension name and its
/// parameters, in order (RFC 6455 §9.1).
///
/// In a client's request it is an offer; in a server's response it is what was accepted.
/// Names, parameter names and values are tokens (a quoted value is unquoted, and must be a
/// token then), so its [`Display`](fmt::Display) form is the header syntax again.
///
/// ```
/// use rfc6455_proto::handshake::ClientRequest;
///
/// let (_, handshake) = ClientRequest::new("ws://h/".parse()?, [1; 16])
///     .extensions("permessage-deflate; client_max_window_bits; server_max_window_bits=\"12\"")
///     .build()?;
/// let offer = &handshake.extensions()[0];
/// assert_eq!(offer.name(), "permessage-deflate");
/// assert_eq!(
///     offer.to_string(),
///     "permessage-deflate; client_max_window_bits; server_max_window_bits=12",
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ExtensionOffer {
    name: String,
    params: Vec<(String, Option<String>)>,
}

impl ExtensionOffer {
    /// The extension's name, as registered (for example `permessage-deflate`).
    ///
    /// ```
    /// # use rfc6455_proto::handshake::ClientRequest;
    /// let (_, handshake) = ClientRequest::new("ws://h/".parse()?, [1; 16])
    ///     .extensions("x-a; p, x-b")
    ///     .build()?;
    /// assert_eq!(handshake.extensions()[1].name(), "x-b");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The parameters in the order they were written; quoted values are unquoted.
    ///
    /// ```
    /// # use rfc6455_proto::handshake::ClientRequest;
    /// let (_, handshake) = ClientRequest::new("ws://h/".parse()?, [1; 16])
    ///     .extensions("x-a; p; q=\"1\"")
    ///     .build()?;
    /// assert_eq!(
    ///     handshake.extensions()[0].params(),
    ///     &[("p".to_owned(), None), ("q".to_owned(), Some("1".to_owned()))],
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn params(&self) -> &[(String, Option<String>)] {
        &self.params
    }

    /// The first parameter called `name` (compared ASCII case-insensitively): `None` when
    /// absent, `Some(None)` when present without a value, `Some(Some(value))` otherwise.
    ///
    /// ```
    /// # use rfc6455_proto::handshake::ClientRequest;
    /// let (_, handshake) = ClientRequest::new("ws://h/".parse()?, [1; 16])
    ///     .extensions("x-a; p; q=1")
    ///     .build()?;
    /// let offer = &handshake.extensions()[0];
    /// assert_eq!(offer.param("p"), Some(None));
    /// assert_eq!(offer.param("Q"), Some(Some("1")));
    /// assert_eq!(offer.param("r"), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_deref())
    }
}

impl fmt::Display for ExtensionOffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for (name, value) in &self.params {
            write!(f, "; {name}")?;
            if let Some(value) = value {
                // A token (the parser checks it), so it needs no quotes.
                write!(f, "={value}")?;
            }
        }
        Ok(())
    }
}

/// Parses every `Sec-WebSocket-Extensions` header in `headers` (the header may be repeated;
/// the lists are joined in order), per the RFC 6455 §9.1 grammar:
///
/// ```text
/// extension-list  = 1#extension
/// extension       = extension-token *( ";" extension-param )
/// extension-param = token [ "=" (token | quoted-string) ]
/// ```
///
/// No header at all gives an empty list.
///
/// # Errors
///
/// [`HandshakeError::InvalidHeader`] when a value is not visible ASCII or does not follow
/// the grammar, including a quoted value that is not a token once unquoted (§9.1: "the
/// value after quoted-string unescaping MUST conform to the 'token' ABNF").
pub(crate) fn parse_extensions(headers: &HeaderMap) -> Result<Vec<ExtensionOffer>, HandshakeError> {
    let mut out = Vec::new();
    for value in headers.get_all(SEC_WEBSOCKET_EXTENSIONS) {
        let value = value
            .to_str()
            .map_err(|_| HandshakeError::InvalidHeader(HEADER_NAME))?;
        parse_into(value, &mut out)?;
    }
    Ok(out)
}

/// Parses one `Sec-WebSocket-Extensions` header value into its elements (RFC 6455 §9.1
/// grammar; an empty value gives an empty list).
///
/// # Errors
///
/// [`HandshakeError::InvalidHeader`] when the value does not follow the grammar.
///
/// ```
/// let elements = rfc6455_proto::extension::parse_header_value("permessage-deflate; client_max_window_bits, x-b")?;
/// assert_eq!(elements.len(), 2);
/// # Ok::<(), rfc6455_proto::HandshakeError>(())
/// ```
pub fn parse_header_value(value: &str) -> Result<Vec<ExtensionOffer>, HandshakeError> {
    parse_extension_list(value)
}

/// Parses one `Sec-WebSocket-Extensions` value (see [`parse_extensions`] for the grammar).
/// An empty or all-blank value gives an empty list.
///
/// # Errors
///
/// [`HandshakeError::InvalidHeader`] when the value does not follow the §9.1 grammar.
pub(crate) fn parse_extension_list(value: &str) -> Result<Vec<ExtensionOffer>, HandshakeError> {
    let mut out = Vec::new();
    parse_into(value, &mut out)?;
    Ok(out)
}

fn parse_into(value: &str, out: &mut Vec<ExtensionOffer>) -> Result<(), HandshakeError> {
    Parser {
        input: value,
        pos: 0,
    }
    .list(out)
    .ok_or(HandshakeError::InvalidHeader(HEADER_NAME))
}

/// A cursor over one header value. Every method returns `None` on a grammar error; all
/// indices it slices at follow ASCII bytes, so they are character boundaries.
struct Parser<'a> {
    input: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.input.as_bytes().get(self.pos).copied()
    }

    /// Optional whitespace (RFC 7230 §3.2.3 OWS: spaces and tabs).
    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// `1#extension`, where (RFC 7230 §7) empty list elements are allowed and ignored.
    fn list(&mut self, out: &mut Vec<ExtensionOffer>) -> Option<()> {
        loop {
            self.skip_ows();
            match self.peek() {
                None => return Some(()),
                Some(b',') => {
                    self.pos += 1;
                    continue;
                }
                Some(_) => {}
            }
            out.push(self.extension()?);
            self.skip_ows();
            match self.peek() {
                None => return Some(()),
                Some(b',') => self.pos += 1,
                Some(_) => return None,
            }
        }
    }

    /// `extension = extension-token *( ";" extension-param )`
    fn extension(&mut self) -> Option<ExtensionOffer> {
        let name = self.token()?.to_owned();
        let mut params = Vec::new();
        self.skip_ows();
        while self.peek() == Some(b';') {
            self.pos += 1;
            self.skip_ows();
            let param = self.token()?.to_owned();
            self.skip_ows();
            let value = if self.peek() == Some(b'=') {
                self.pos += 1;
                self.skip_ows();
                let value = if self.peek() == Some(b'"') {
                    self.quoted_token()?
                } else {
                    self.token()?.to_owned()
                };
                self.skip_ows();
                Some(value)
            } else {
                None
            };
            params.push((param, value));
        }
        Some(ExtensionOffer { name, params })
    }

    /// `token = 1*tchar`
    fn token(&mut self) -> Option<&str> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        (self.pos > start).then(|| &self.input[start..self.pos])
    }

    /// A quoted-string whose unescaped content is a token (§9.1).
    fn quoted_token(&mut self) -> Option<String> {
        // The opening quote.
        self.pos += 1;
        let mut value = String::new();
        loop {
            let byte = self.peek()?;
            self.pos += 1;
            match byte {
                b'"' => break,
                // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
                b'\\' => {
                    let escaped = self.peek()?;
                    self.pos += 1;
                    value.push(char::from(escaped));
                }
                // qdtext; obs-text (non-ASCII) is refused: it can never be a token.
                b'\t' | b' '..=b'~' => value.push(char::from(byte)),
                _ => return None,
            }
        }
        is_token(&value).then_some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid() -> HandshakeError {
        HandshakeError::InvalidHeader(HEADER_NAME)
    }

    #[test]
    fn s9_1_parse_names_params_and_quoted_values() {
        let offers = parse_extension_list(
            "permessage-deflate; client_max_window_bits; server_max_window_bits=\"10\", x-b",
        )
        .unwrap();
        assert_eq!(offers.len(), 2);
        assert_eq!(offers[0].name(), "permessage-deflate");
        assert_eq!(
            offers[0].params(),
            &[
                ("client_max_window_bits".to_owned(), None),
                ("server_max_window_bits".to_owned(), Some("10".to_owned())),
            ]
        );
        assert_eq!(offers[1].name(), "x-b");
        assert!(offers[1].params().is_empty());
    }

    #[test]
    fn s9_1_parse_whitespace_and_empty_elements() {
        let offers = parse_extension_list(" , x-a ;p = 1 ;\tq , ,x-b,").unwrap();
        assert_eq!(offers.len(), 2);
        assert_eq!(offers[0].param("p"), Some(Some("1")));
        assert_eq!(offers[0].param("q"), Some(None));
        assert!(parse_extension_list("").unwrap().is_empty());
    }

    #[test]
    fn s9_1_quoted_string_escapes_are_unescaped() {
        let offers = parse_extension_list(r#"x-a; p="1\0""#).unwrap();
        assert_eq!(offers[0].param("p"), Some(Some("10")));
    }

    #[test]
    fn s9_1_parse_errors() {
        for bad in [
            "x-a;",              // parameter missing
            "x-a; =1",           // parameter name missing
            "x-a; p=",           // value missing
            "x-a; p=\"\"",       // empty quoted value is not a token
            "x-a; p=\"a b\"",    // quoted value not a token once unquoted
            "x-a; p=\"1",        // unterminated quoted string
            "x-a; p=\"1\\",      // escape at the end
            "x-a x-b",           // missing comma
            "x-a; p=1 2",        // junk after a value
            "x/a",               // separator in a name
            "\"x-a\"",           // quoted name
            "x-a; p=é",          // non-ASCII
            "x-a; p=\"\u{e9}\"", // non-ASCII quoted
            "x-a; p=\"\u{1}\"",  // control character
            ";p",                // parameter without extension
        ] {
            assert_eq!(parse_extension_list(bad), Err(invalid()), "{bad:?}");
        }
    }

    #[test]
    fn s9_1_repeated_headers_join_in_order() {
        let mut headers = HeaderMap::new();
        headers.append(SEC_WEBSOCKET_EXTENSIONS, "x-a, x-b".parse().unwrap());
        headers.append(SEC_WEBSOCKET_EXTENSIONS, "x-c; p".parse().unwrap());
        let names: Vec<String> = parse_extensions(&headers)
            .unwrap()
            .iter()
            .map(|o| o.name().to_owned())
            .collect();
        assert_eq!(names, ["x-a", "x-b", "x-c"]);
    }

    #[test]
    fn s9_1_non_visible_ascii_header_is_invalid() {
        let mut headers = HeaderMap::new();
        headers.append(
            SEC_WEBSOCKET_EXTENSIONS,
            http::HeaderValue::from_bytes(b"x-a; p=\xff").unwrap(),
        );
        assert_eq!(parse_extensions(&headers), Err(invalid()));
        assert!(parse_extensions(&HeaderMap::new()).unwrap().is_empty());
    }

    /// The offers written back as one header value, as a server would answer them.
    fn format(offers: &[ExtensionOffer]) -> String {
        let elements: Vec<String> = offers.iter().map(ToString::to_string).collect();
        elements.join(", ")
    }

    #[test]
    fn s9_1_format_round_trips() {
        let text = "x-a; p; q=1, x-b";
        let offers = parse_extension_list(text).unwrap();
        assert_eq!(format(&offers), text);
        let offers = parse_extension_list(r#"x-a; q="1""#).unwrap();
        assert_eq!(format(&offers), "x-a; q=1");
    }
}
