//! The extension seam: negotiation at handshake time, apart from the per-message transform.
//!
//! RFC 6455 §9 lets the two ends agree, in the opening handshake, on extensions that change
//! the data on the wire (permessage-deflate, RFC 7692, is the one in use). This module keeps
//! the two halves of that apart:
//!
//! - **negotiation** happens once per connection, over the `Sec-WebSocket-Extensions`
//!   header: [`ExtensionOffer`] is one parsed element of that header, and the factory traits
//!   [`ServerExtensionFactory`] and [`ClientExtensionFactory`] turn offers and answers into…
//! - **transforms**: a negotiated [`Extension`] is a per-connection value that rewrites
//!   every data message on send ([`Extension::encode`]) and on receive
//!   ([`Extension::decode`]).
//!
//! # Order of operations
//!
//! RFC 6455 §9.1: "the order of operations on the data should be assumed to be the same as
//! the order in which the extensions are listed in the server's response in the opening
//! handshake." So negotiated transforms run **in that order on send** and **in reverse
//! order on receive** (the last one applied by the sender is the first one undone by the
//! receiver). [`negotiate_server`] and [`accept_client`] return the transforms in that order.
//!
//! # RSV bits
//!
//! RFC 6455 §5.2: RSV1, RSV2 and RSV3 "MUST be 0 unless an extension is negotiated that
//! defines meanings for non-zero values". Each [`Extension`] names the bits it owns
//! ([`Extension::rsv_bits`], RSV1 = [`RSV1`] = `0b100`); only those bits may be allowed on
//! a connection (see [`Connection::allow_rsv_bits`](crate::Connection::allow_rsv_bits)), and
//! two negotiated extensions never share a bit (the negotiation helpers drop or refuse the
//! second one).
//!
//! # Limits
//!
//! A decoding transform (inflation above all) must never produce more than the remaining
//! message budget it is given ([`Extension::decode`]'s `max_size`): a few kilobytes of
//! deflate data can expand to gigabytes.
//!
//! ```
//! use rfc6455_proto::extension::{ExtensionOffer, format_extensions, parse_extension_list};
//!
//! let offers = parse_extension_list(
//!     "permessage-deflate; client_max_window_bits, permessage-deflate; server_max_window_bits=\"10\"",
//! )?;
//! assert_eq!(offers.len(), 2);
//! assert_eq!(offers[1].param("server_max_window_bits"), Some(Some("10")));
//! assert_eq!(
//!     format_extensions(&offers),
//!     "permessage-deflate; client_max_window_bits, permessage-deflate; server_max_window_bits=10",
//! );
//! # Ok::<(), rfc6455_proto::HandshakeError>(())
//! ```

use std::fmt;

use bytes::Bytes;
use http::HeaderMap;
use http::header::SEC_WEBSOCKET_EXTENSIONS;

use crate::error::{HandshakeError, ProtocolError};
use crate::handshake::{is_tchar, is_token};

/// RSV1, the first reserved bit of a frame header, as [`Extension::rsv_bits`] spells it
/// (permessage-deflate uses it to mark compressed messages).
///
/// ```
/// assert_eq!(rfc6455_proto::extension::RSV1, 0b100);
/// ```
pub const RSV1: u8 = 0b100;
/// RSV2, the second reserved bit of a frame header.
///
/// ```
/// assert_eq!(rfc6455_proto::extension::RSV2, 0b010);
/// ```
pub const RSV2: u8 = 0b010;
/// RSV3, the third reserved bit of a frame header.
///
/// ```
/// assert_eq!(rfc6455_proto::extension::RSV3, 0b001);
/// ```
pub const RSV3: u8 = 0b001;

const HEADER_NAME: &str = "Sec-WebSocket-Extensions";

/// One element of a `Sec-WebSocket-Extensions` header: an extension name and its
/// parameters, in order (RFC 6455 §9.1).
///
/// In a client's request it is an offer; in a server's response it is what was accepted.
/// Its [`Display`](fmt::Display) form is the header syntax, with values that are not
/// tokens written as quoted strings.
///
/// ```
/// use rfc6455_proto::extension::ExtensionOffer;
///
/// let offer = ExtensionOffer::new("permessage-deflate")
///     .with_param("client_max_window_bits", None)
///     .with_param("server_max_window_bits", Some("12"));
/// assert_eq!(offer.name(), "permessage-deflate");
/// assert_eq!(
///     offer.to_string(),
///     "permessage-deflate; client_max_window_bits; server_max_window_bits=12",
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ExtensionOffer {
    name: String,
    params: Vec<(String, Option<String>)>,
}

impl ExtensionOffer {
    /// An offer of the extension `name` with no parameters.
    ///
    /// # Panics
    ///
    /// If `name` is not an RFC 2616 token (§9.1 `extension-token`): that is a bug in the
    /// calling program, never caused by a peer (parsed offers come from
    /// [`parse_extension_list`], which returns errors).
    ///
    /// ```
    /// let offer = rfc6455_proto::extension::ExtensionOffer::new("x-test");
    /// assert!(offer.params().is_empty());
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        assert!(is_token(&name), "extension name {name:?} is not a token");
        Self {
            name,
            params: Vec::new(),
        }
    }

    /// Adds a parameter, `name` alone (`None`) or `name=value`.
    ///
    /// # Panics
    ///
    /// If `name` or `value` is not a token: RFC 6455 §9.1 requires both to be tokens (a
    /// value may be sent quoted, but unquoted it "MUST conform to the 'token' ABNF").
    ///
    /// ```
    /// use rfc6455_proto::extension::ExtensionOffer;
    /// let offer = ExtensionOffer::new("x-test").with_param("level", Some("3"));
    /// assert_eq!(offer.params(), &[("level".to_owned(), Some("3".to_owned()))]);
    /// ```
    pub fn with_param(mut self, name: impl Into<String>, value: Option<&str>) -> Self {
        let name = name.into();
        assert!(
            is_token(&name),
            "extension parameter {name:?} is not a token"
        );
        if let Some(value) = value {
            assert!(
                is_token(value),
                "extension parameter value {value:?} is not a token"
            );
        }
        self.params.push((name, value.map(str::to_owned)));
        self
    }

    /// The extension's name, as registered (for example `permessage-deflate`).
    ///
    /// ```
    /// let offers = rfc6455_proto::extension::parse_extension_list("x-a; p, x-b")?;
    /// assert_eq!(offers[1].name(), "x-b");
    /// # Ok::<(), rfc6455_proto::HandshakeError>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The parameters in the order they were written; quoted values are unquoted.
    ///
    /// ```
    /// let offers = rfc6455_proto::extension::parse_extension_list("x-a; p; q=\"1\"")?;
    /// assert_eq!(offers[0].params(), &[("p".to_owned(), None), ("q".to_owned(), Some("1".to_owned()))]);
    /// # Ok::<(), rfc6455_proto::HandshakeError>(())
    /// ```
    pub fn params(&self) -> &[(String, Option<String>)] {
        &self.params
    }

    /// The first parameter called `name` (compared ASCII case-insensitively): `None` when
    /// absent, `Some(None)` when present without a value, `Some(Some(value))` otherwise.
    ///
    /// ```
    /// let offers = rfc6455_proto::extension::parse_extension_list("x-a; p; q=1")?;
    /// assert_eq!(offers[0].param("p"), Some(None));
    /// assert_eq!(offers[0].param("Q"), Some(Some("1")));
    /// assert_eq!(offers[0].param("r"), None);
    /// # Ok::<(), rfc6455_proto::HandshakeError>(())
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
                if is_token(value) {
                    write!(f, "={value}")?;
                } else {
                    // Only reachable through fields built outside `with_param`; quoting
                    // keeps the header well-formed anyway.
                    f.write_str("=\"")?;
                    for c in value.chars() {
                        if c == '"' || c == '\\' {
                            f.write_str("\\")?;
                        }
                        write!(f, "{c}")?;
                    }
                    f.write_str("\"")?;
                }
            }
        }
        Ok(())
    }
}

/// Writes a list of offers as one `Sec-WebSocket-Extensions` value, separated by `", "`.
///
/// ```
/// use rfc6455_proto::extension::{ExtensionOffer, format_extensions};
/// let list = [ExtensionOffer::new("x-a"), ExtensionOffer::new("x-b").with_param("p", None)];
/// assert_eq!(format_extensions(&list), "x-a, x-b; p");
/// assert_eq!(format_extensions(&[]), "");
/// ```
pub fn format_extensions(offers: &[ExtensionOffer]) -> String {
    let mut out = String::new();
    for (i, offer) in offers.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&offer.to_string());
    }
    out
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
///
/// ```
/// use rfc6455_proto::extension::parse_extensions;
/// let mut headers = http::HeaderMap::new();
/// headers.append("sec-websocket-extensions", "x-a; p=1".parse().unwrap());
/// headers.append("sec-websocket-extensions", "x-b".parse().unwrap());
/// let offers = parse_extensions(&headers)?;
/// assert_eq!(offers.iter().map(|o| o.name()).collect::<Vec<_>>(), ["x-a", "x-b"]);
///
/// headers.append("sec-websocket-extensions", "x-c; =1".parse().unwrap());
/// assert!(parse_extensions(&headers).is_err());
/// # Ok::<(), rfc6455_proto::HandshakeError>(())
/// ```
pub fn parse_extensions(headers: &HeaderMap) -> Result<Vec<ExtensionOffer>, HandshakeError> {
    let mut out = Vec::new();
    for value in headers.get_all(SEC_WEBSOCKET_EXTENSIONS) {
        let value = value
            .to_str()
            .map_err(|_| HandshakeError::InvalidHeader(HEADER_NAME))?;
        parse_into(value, &mut out)?;
    }
    Ok(out)
}

/// Parses one `Sec-WebSocket-Extensions` value (see [`parse_extensions`] for the grammar).
/// An empty or all-blank value gives an empty list.
///
/// # Errors
///
/// [`HandshakeError::InvalidHeader`] when the value does not follow the §9.1 grammar.
///
/// ```
/// use rfc6455_proto::extension::parse_extension_list;
/// let offers = parse_extension_list("x-a; p=\"quoted\"")?;
/// assert_eq!(offers[0].param("p"), Some(Some("quoted")));
/// assert!(parse_extension_list("x-a; p=\"not a token\"").is_err());
/// # Ok::<(), rfc6455_proto::HandshakeError>(())
/// ```
pub fn parse_extension_list(value: &str) -> Result<Vec<ExtensionOffer>, HandshakeError> {
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

/// A negotiated, per-connection transform of data messages (RFC 6455 §9).
///
/// One value exists per connection and per negotiated extension, created by a
/// [`ServerExtensionFactory`] or [`ClientExtensionFactory`]. The connection calls
/// [`encode`](Self::encode) on every outgoing message, in negotiated order, and
/// [`decode`](Self::decode) on every incoming one, in reverse order (see the
/// [module documentation](self)).
///
/// ```
/// use bytes::Bytes;
/// use rfc6455_proto::ProtocolError;
/// use rfc6455_proto::extension::{Extension, RSV3};
///
/// /// A toy transform: flips every byte and marks the message with RSV3.
/// #[derive(Debug)]
/// struct Flip;
///
/// impl Extension for Flip {
///     fn name(&self) -> &str {
///         "x-flip"
///     }
///     fn rsv_bits(&self) -> u8 {
///         RSV3
///     }
///     fn encode(&mut self, _text: bool, payload: Bytes) -> Result<(Bytes, u8), ProtocolError> {
///         Ok((payload.iter().map(|b| !b).collect::<Vec<u8>>().into(), RSV3))
///     }
///     fn decode(&mut self, rsv: u8, payload: Bytes, max_size: u64) -> Result<Bytes, ProtocolError> {
///         if rsv & RSV3 == 0 {
///             return Ok(payload); // not transformed by the sender
///         }
///         if payload.len() as u64 > max_size {
///             return Err(ProtocolError::MessageTooBig { limit: max_size });
///         }
///         Ok(payload.iter().map(|b| !b).collect::<Vec<u8>>().into())
///     }
/// }
///
/// let mut ext: Box<dyn Extension> = Box::new(Flip);
/// let (wire, rsv) = ext.encode(false, Bytes::from_static(b"hi"))?;
/// assert_eq!(rsv, RSV3);
/// assert_eq!(ext.decode(rsv, wire, 1024)?, Bytes::from_static(b"hi"));
/// # Ok::<(), ProtocolError>(())
/// ```
pub trait Extension: Send + fmt::Debug {
    /// The registered name of the extension, as in `Sec-WebSocket-Extensions`.
    fn name(&self) -> &str;

    /// The RSV bits this extension owns, as a 3-bit value: [`RSV1`] (`0b100`), [`RSV2`],
    /// [`RSV3`] or a combination. Only these bits may be set on frames while it is
    /// negotiated (§5.2), and no other negotiated extension may own them.
    fn rsv_bits(&self) -> u8;

    /// Transforms one whole outgoing data message (`text` is true for a text message, whose
    /// payload is valid UTF-8 on entry).
    ///
    /// Returns the payload to send and the RSV bits to set on the message's **first** frame
    /// (continuation frames never carry them); the bits must be within
    /// [`rsv_bits`](Self::rsv_bits). An extension that leaves a message unchanged returns
    /// it with no bits set.
    ///
    /// # Errors
    ///
    /// A [`ProtocolError`] (normally [`ProtocolError::Extension`]) when the transform cannot
    /// be applied; the connection then fails.
    fn encode(&mut self, text: bool, payload: Bytes) -> Result<(Bytes, u8), ProtocolError>;

    /// Undoes the transform on one whole incoming data message. `rsv` holds the RSV bits of
    /// the message's first frame; when none of this extension's bits are set, the message
    /// was not transformed by it and must be returned unchanged.
    ///
    /// `max_size` is the remaining message budget: the output **must not** exceed it. A
    /// decoder that expands data (inflation) must stop as soon as it would produce more
    /// than `max_size` bytes and fail with [`ProtocolError::MessageTooBig`] instead of
    /// allocating the whole result, so that a small compressed message cannot exhaust
    /// memory.
    ///
    /// # Errors
    ///
    /// [`ProtocolError::MessageTooBig`] when the output would exceed `max_size`;
    /// [`ProtocolError::Extension`] when the payload is corrupt. Either fails the
    /// connection (with 1009 or 1007).
    fn decode(&mut self, rsv: u8, payload: Bytes, max_size: u64) -> Result<Bytes, ProtocolError>;
}

/// The server side of an extension's negotiation: reads the client's offers and, if one
/// is acceptable, answers it and creates the per-connection [`Extension`].
///
/// A factory is shared by all connections (hence `Sync`); it holds configuration, not
/// per-connection state.
///
/// ```
/// use rfc6455_proto::extension::{
///     Extension, ExtensionOffer, ServerExtensionFactory, negotiate_server, parse_extension_list,
/// };
/// # use bytes::Bytes;
/// # use rfc6455_proto::ProtocolError;
/// # #[derive(Debug)]
/// # struct Noop;
/// # impl Extension for Noop {
/// #     fn name(&self) -> &str { "x-noop" }
/// #     fn rsv_bits(&self) -> u8 { 0 }
/// #     fn encode(&mut self, _: bool, p: Bytes) -> Result<(Bytes, u8), ProtocolError> { Ok((p, 0)) }
/// #     fn decode(&mut self, _: u8, p: Bytes, _: u64) -> Result<Bytes, ProtocolError> { Ok(p) }
/// # }
///
/// #[derive(Debug)]
/// struct NoopFactory;
///
/// impl ServerExtensionFactory for NoopFactory {
///     fn name(&self) -> &str {
///         "x-noop"
///     }
///     fn negotiate(&self, offers: &[ExtensionOffer]) -> Option<(String, Box<dyn Extension>)> {
///         // Accept the first offer without parameters.
///         offers.iter().find(|o| o.params().is_empty())?;
///         Some(("x-noop".to_owned(), Box::new(Noop)))
///     }
/// }
///
/// let factories: Vec<Box<dyn ServerExtensionFactory>> = vec![Box::new(NoopFactory)];
/// let offers = parse_extension_list("x-other, x-noop; p=1, x-noop")?;
/// let (response, extensions) = negotiate_server(&factories, &offers);
/// assert_eq!(response.as_deref(), Some("x-noop"));
/// assert_eq!(extensions.len(), 1);
/// # Ok::<(), rfc6455_proto::HandshakeError>(())
/// ```
pub trait ServerExtensionFactory: Send + Sync + fmt::Debug {
    /// The registered name of the extension this factory negotiates.
    fn name(&self) -> &str;

    /// Chooses among the client's offers **of this extension** (those whose name equals
    /// [`name`](Self::name), in the client's order of preference; there can be several,
    /// with different parameters).
    ///
    /// Returns the `Sec-WebSocket-Extensions` element to answer with (name and accepted
    /// parameters, for example `permessage-deflate; server_no_context_takeover`) and the
    /// connection's transform, or `None` to decline every offer. Offers come from the
    /// peer: unknown or malformed parameters must lead to `None` for that offer, never to
    /// a panic.
    fn negotiate(&self, offers: &[ExtensionOffer]) -> Option<(String, Box<dyn Extension>)>;
}

/// The client side of an extension's negotiation: writes the offer and checks the server's
/// answer.
///
/// ```
/// use rfc6455_proto::HandshakeError;
/// use rfc6455_proto::extension::{
///     ClientExtensionFactory, Extension, ExtensionOffer, accept_client, client_offer,
///     parse_extension_list,
/// };
/// # use bytes::Bytes;
/// # use rfc6455_proto::ProtocolError;
/// # #[derive(Debug)]
/// # struct Noop;
/// # impl Extension for Noop {
/// #     fn name(&self) -> &str { "x-noop" }
/// #     fn rsv_bits(&self) -> u8 { 0 }
/// #     fn encode(&mut self, _: bool, p: Bytes) -> Result<(Bytes, u8), ProtocolError> { Ok((p, 0)) }
/// #     fn decode(&mut self, _: u8, p: Bytes, _: u64) -> Result<Bytes, ProtocolError> { Ok(p) }
/// # }
///
/// #[derive(Debug)]
/// struct NoopFactory;
///
/// impl ClientExtensionFactory for NoopFactory {
///     fn name(&self) -> &str {
///         "x-noop"
///     }
///     fn offer(&self) -> String {
///         "x-noop".to_owned()
///     }
///     fn accept(&self, answer: &ExtensionOffer) -> Result<Box<dyn Extension>, HandshakeError> {
///         if !answer.params().is_empty() {
///             return Err(HandshakeError::InvalidHeader("Sec-WebSocket-Extensions"));
///         }
///         Ok(Box::new(Noop))
///     }
/// }
///
/// let factories: Vec<Box<dyn ClientExtensionFactory>> = vec![Box::new(NoopFactory)];
/// assert_eq!(client_offer(&factories).as_deref(), Some("x-noop"));
/// let accepted = accept_client(&factories, &parse_extension_list("x-noop")?)?;
/// assert_eq!(accepted[0].name(), "x-noop");
/// assert!(accept_client(&factories, &parse_extension_list("x-noop; p")?).is_err());
/// # Ok::<(), HandshakeError>(())
/// ```
pub trait ClientExtensionFactory: Send + Sync + fmt::Debug {
    /// The registered name of the extension this factory offers.
    fn name(&self) -> &str;

    /// The offer to send: one or more `Sec-WebSocket-Extensions` elements (comma-separated,
    /// most preferred first), each named [`name`](Self::name).
    fn offer(&self) -> String;

    /// Checks the server's answer for this extension and creates the connection's
    /// transform.
    ///
    /// # Errors
    ///
    /// A [`HandshakeError`] (normally [`HandshakeError::InvalidHeader`]) when the answer's
    /// parameters are not acceptable; the client then fails the connection (§9.1).
    fn accept(&self, answer: &ExtensionOffer) -> Result<Box<dyn Extension>, HandshakeError>;
}

/// Runs the server's factories, in the server's order, over the client's offers.
///
/// Each factory sees only the offers with its name. An extension whose RSV bits overlap an
/// already accepted one is dropped. Returns the `Sec-WebSocket-Extensions` response value
/// (`None` if nothing was accepted; pass it to
/// [`ClientOffer::response_with`](crate::handshake::ClientOffer::response_with)) and the
/// transforms in negotiated order (RFC 6455 §9.1: the order of the server's response is
/// the order of operations).
///
/// ```
/// use rfc6455_proto::extension::{ServerExtensionFactory, negotiate_server};
/// let none: Vec<Box<dyn ServerExtensionFactory>> = Vec::new();
/// let (response, extensions) = negotiate_server(&none, &[]);
/// assert!(response.is_none() && extensions.is_empty());
/// ```
pub fn negotiate_server(
    factories: &[Box<dyn ServerExtensionFactory>],
    offers: &[ExtensionOffer],
) -> (Option<String>, Vec<Box<dyn Extension>>) {
    let mut response = Vec::new();
    let mut extensions: Vec<Box<dyn Extension>> = Vec::new();
    let mut used_rsv = 0u8;
    for factory in factories {
        let mine: Vec<ExtensionOffer> = offers
            .iter()
            .filter(|o| o.name() == factory.name())
            .cloned()
            .collect();
        if mine.is_empty() {
            continue;
        }
        let Some((params, extension)) = factory.negotiate(&mine) else {
            continue;
        };
        // §5.2: a bit's meaning comes from the one extension that defines it.
        if extension.rsv_bits() & used_rsv != 0 {
            continue;
        }
        used_rsv |= extension.rsv_bits();
        response.push(params);
        extensions.push(extension);
    }
    let response = (!response.is_empty()).then(|| response.join(", "));
    (response, extensions)
}

/// The client's `Sec-WebSocket-Extensions` value: every factory's
/// [`offer`](ClientExtensionFactory::offer), in order, or `None` when there are none.
///
/// ```
/// use rfc6455_proto::extension::{ClientExtensionFactory, client_offer};
/// let none: Vec<Box<dyn ClientExtensionFactory>> = Vec::new();
/// assert_eq!(client_offer(&none), None);
/// ```
pub fn client_offer(factories: &[Box<dyn ClientExtensionFactory>]) -> Option<String> {
    let offers: Vec<String> = factories.iter().map(|f| f.offer()).collect();
    (!offers.is_empty()).then(|| offers.join(", "))
}

/// Checks the server's accepted extensions (in the server's order, from
/// [`ServerAnswer::extensions`](crate::handshake::ServerAnswer::extensions)) against the
/// client's factories and creates the transforms, in negotiated order.
///
/// # Errors
///
/// - [`HandshakeError::UnrequestedExtension`] for an extension no factory offered (§9.1:
///   the server may only accept what the client offered);
/// - [`HandshakeError::InvalidHeader`] for an extension answered twice or two extensions
///   claiming the same RSV bit (§5.2);
/// - whatever the factory's [`accept`](ClientExtensionFactory::accept) returns.
///
/// ```
/// use rfc6455_proto::HandshakeError;
/// use rfc6455_proto::extension::{ClientExtensionFactory, accept_client, parse_extension_list};
/// let none: Vec<Box<dyn ClientExtensionFactory>> = Vec::new();
/// assert!(accept_client(&none, &[])?.is_empty());
/// assert_eq!(
///     accept_client(&none, &parse_extension_list("x-a")?).unwrap_err(),
///     HandshakeError::UnrequestedExtension("x-a".to_owned()),
/// );
/// # Ok::<(), HandshakeError>(())
/// ```
pub fn accept_client(
    factories: &[Box<dyn ClientExtensionFactory>],
    answers: &[ExtensionOffer],
) -> Result<Vec<Box<dyn Extension>>, HandshakeError> {
    let mut extensions: Vec<Box<dyn Extension>> = Vec::new();
    let mut used_rsv = 0u8;
    for (i, answer) in answers.iter().enumerate() {
        let factory = factories
            .iter()
            .find(|f| f.name() == answer.name())
            .ok_or_else(|| HandshakeError::UnrequestedExtension(answer.name().to_owned()))?;
        if answers[..i].iter().any(|a| a.name() == answer.name()) {
            return Err(HandshakeError::InvalidHeader(HEADER_NAME));
        }
        let extension = factory.accept(answer)?;
        // §5.2: RSV bits belong to exactly one negotiated extension.
        if extension.rsv_bits() & used_rsv != 0 {
            return Err(HandshakeError::InvalidHeader(HEADER_NAME));
        }
        used_rsv |= extension.rsv_bits();
        extensions.push(extension);
    }
    Ok(extensions)
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

    #[test]
    fn s9_1_format_round_trips() {
        let text = "x-a; p; q=1, x-b";
        let offers = parse_extension_list(text).unwrap();
        assert_eq!(format_extensions(&offers), text);
        let offers = parse_extension_list(r#"x-a; q="1""#).unwrap();
        assert_eq!(format_extensions(&offers), "x-a; q=1");
    }

    #[test]
    fn s9_1_display_quotes_non_token_values() {
        let offer = ExtensionOffer {
            name: "x-a".to_owned(),
            params: vec![("p".to_owned(), Some("a \"b\"".to_owned()))],
        };
        assert_eq!(offer.to_string(), r#"x-a; p="a \"b\"""#);
    }

    #[test]
    #[should_panic(expected = "not a token")]
    fn s9_1_new_rejects_non_token_names() {
        let _ = ExtensionOffer::new("x a");
    }

    #[derive(Debug)]
    struct Fake {
        name: &'static str,
        rsv: u8,
    }

    impl Extension for Fake {
        fn name(&self) -> &str {
            self.name
        }
        fn rsv_bits(&self) -> u8 {
            self.rsv
        }
        fn encode(&mut self, _text: bool, payload: Bytes) -> Result<(Bytes, u8), ProtocolError> {
            Ok((payload, self.rsv))
        }
        fn decode(
            &mut self,
            _rsv: u8,
            payload: Bytes,
            _max_size: u64,
        ) -> Result<Bytes, ProtocolError> {
            Ok(payload)
        }
    }

    /// Accepts the first offer and echoes it.
    #[derive(Debug)]
    struct FakeFactory {
        name: &'static str,
        rsv: u8,
    }

    impl ServerExtensionFactory for FakeFactory {
        fn name(&self) -> &str {
            self.name
        }
        fn negotiate(&self, offers: &[ExtensionOffer]) -> Option<(String, Box<dyn Extension>)> {
            let first = offers.first()?;
            let ext = Fake {
                name: self.name,
                rsv: self.rsv,
            };
            Some((first.to_string(), Box::new(ext)))
        }
    }

    impl ClientExtensionFactory for FakeFactory {
        fn name(&self) -> &str {
            self.name
        }
        fn offer(&self) -> String {
            self.name.to_owned()
        }
        fn accept(&self, _answer: &ExtensionOffer) -> Result<Box<dyn Extension>, HandshakeError> {
            Ok(Box::new(Fake {
                name: self.name,
                rsv: self.rsv,
            }))
        }
    }

    #[test]
    fn s9_1_server_negotiates_in_server_order_and_skips_rsv_clashes() {
        let factories: Vec<Box<dyn ServerExtensionFactory>> = vec![
            Box::new(FakeFactory {
                name: "x-b",
                rsv: RSV1,
            }),
            Box::new(FakeFactory {
                name: "x-a",
                rsv: RSV2,
            }),
            Box::new(FakeFactory {
                name: "x-c",
                rsv: RSV1,
            }),
            Box::new(FakeFactory {
                name: "x-unoffered",
                rsv: RSV3,
            }),
        ];
        let offers = parse_extension_list("x-a; p=1, x-c, x-b; q, x-b").unwrap();
        let (response, exts) = negotiate_server(&factories, &offers);
        assert_eq!(response.as_deref(), Some("x-b; q, x-a; p=1"));
        let names: Vec<&str> = exts.iter().map(|e| e.name()).collect();
        assert_eq!(names, ["x-b", "x-a"]);
    }

    #[test]
    fn s9_1_client_accepts_offered_and_refuses_others() {
        let factories: Vec<Box<dyn ClientExtensionFactory>> = vec![
            Box::new(FakeFactory {
                name: "x-a",
                rsv: RSV1,
            }),
            Box::new(FakeFactory {
                name: "x-b",
                rsv: RSV1,
            }),
            Box::new(FakeFactory {
                name: "x-c",
                rsv: RSV2,
            }),
        ];
        assert_eq!(client_offer(&factories).as_deref(), Some("x-a, x-b, x-c"));

        let ok = accept_client(&factories, &parse_extension_list("x-c, x-a").unwrap()).unwrap();
        let names: Vec<&str> = ok.iter().map(|e| e.name()).collect();
        assert_eq!(names, ["x-c", "x-a"]);

        let unoffered = parse_extension_list("x-z").unwrap();
        assert_eq!(
            accept_client(&factories, &unoffered).unwrap_err(),
            HandshakeError::UnrequestedExtension("x-z".to_owned())
        );
        let twice = parse_extension_list("x-a, x-a").unwrap();
        assert_eq!(accept_client(&factories, &twice).unwrap_err(), invalid());
        let clash = parse_extension_list("x-a, x-b").unwrap();
        assert_eq!(accept_client(&factories, &clash).unwrap_err(), invalid());
    }
}
