//! RFC 7692 §5 and §7.1: offers, the server's choice among them, and the client's check of
//! the answer. Pure functions of header elements; nothing here touches a frame.

use super::config::{DeflateConfig, NAME};
use crate::error::HandshakeError;
use crate::extension::ExtensionOffer;

const SERVER_NCT: &str = "server_no_context_takeover";
const CLIENT_NCT: &str = "client_no_context_takeover";
const SERVER_MWB: &str = "server_max_window_bits";
const CLIENT_MWB: &str = "client_max_window_bits";

/// The parameters both ends agreed on (RFC 7692 §7.1), in the RFC's terms.
///
/// A server gets them from [`DeflateConfig::accept`], a client from
/// [`DeflateConfig::check_answer`]; [`Connection::with_deflate`](crate::Connection::with_deflate)
/// turns them into the per-connection transform, and the tokio layer shows them to the
/// program in its handshake information.
///
/// ```
/// use rfc6455_proto::extension::deflate::{DeflateConfig, DeflateParams};
/// use rfc6455_proto::extension::parse_header_value;
///
/// let offers = parse_header_value("permessage-deflate; server_no_context_takeover")?;
/// let agreed: DeflateParams = DeflateConfig::default().accept(&offers).unwrap();
/// assert!(agreed.server_no_context_takeover);
/// assert_eq!(agreed.server_max_window_bits, 15);
/// assert_eq!(agreed.answer().to_string(), "permessage-deflate; server_no_context_takeover");
/// # Ok::<(), rfc6455_proto::HandshakeError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DeflateParams {
    /// The server resets its compressor after each message.
    pub server_no_context_takeover: bool,
    /// The client resets its compressor after each message.
    pub client_no_context_takeover: bool,
    /// The largest window the server compresses with (8–15).
    pub server_max_window_bits: u8,
    /// The largest window the client compresses with (8–15).
    pub client_max_window_bits: u8,
    /// Whether `server_max_window_bits` appears in the answer.
    server_mwb_sent: bool,
    /// Whether `client_max_window_bits` appears in the answer.
    client_mwb_sent: bool,
}

impl DeflateParams {
    /// The server's answer: the `Sec-WebSocket-Extensions` element that accepts these
    /// parameters.
    ///
    /// ```
    /// use rfc6455_proto::extension::deflate::DeflateConfig;
    /// use rfc6455_proto::extension::parse_header_value;
    /// let offers = parse_header_value("permessage-deflate; client_max_window_bits")?;
    /// let agreed = DeflateConfig::default().peer_window_bits(Some(10)).accept(&offers).unwrap();
    /// assert_eq!(agreed.answer().to_string(), "permessage-deflate; client_max_window_bits=10");
    /// # Ok::<(), rfc6455_proto::HandshakeError>(())
    /// ```
    pub fn answer(&self) -> ExtensionOffer {
        let mut params = Vec::new();
        if self.server_no_context_takeover {
            params.push((SERVER_NCT.to_owned(), None));
        }
        if self.client_no_context_takeover {
            params.push((CLIENT_NCT.to_owned(), None));
        }
        if self.server_mwb_sent {
            params.push((
                SERVER_MWB.to_owned(),
                Some(self.server_max_window_bits.to_string()),
            ));
        }
        if self.client_mwb_sent {
            params.push((
                CLIENT_MWB.to_owned(),
                Some(self.client_max_window_bits.to_string()),
            ));
        }
        ExtensionOffer {
            name: NAME.to_owned(),
            params,
        }
    }
}

/// One permessage-deflate element read strictly: each of the four parameters at most once,
/// no other parameter, values where (and only where) the RFC allows them.
#[derive(Debug, Default)]
struct Parsed {
    server_nct: bool,
    client_nct: bool,
    /// `Some(None)`: present without a value.
    server_mwb: Option<Option<u8>>,
    client_mwb: Option<Option<u8>>,
}

/// `Err` carries why the element is not valid (§7.1: "declines" on the server, "fails" on
/// the client).
fn parse(element: &ExtensionOffer) -> Result<Parsed, String> {
    let mut parsed = Parsed::default();
    for (name, value) in element.params() {
        let name = name.to_ascii_lowercase();
        let bits = |value: &Option<String>| -> Result<Option<u8>, String> {
            match value {
                None => Ok(None),
                // §7.1.2.1: "a decimal integer value without leading zeroes between 8 and 15".
                Some(v) if v.len() <= 2 && !v.starts_with('0') => match v.parse::<u8>() {
                    Ok(b @ 8..=15) => Ok(Some(b)),
                    _ => Err(format!("{name}={v} is not 8 to 15")),
                },
                Some(v) => Err(format!("{name}={v} is not 8 to 15")),
            }
        };
        let duplicate = || Err(format!("{name} appears twice"));
        match name.as_str() {
            SERVER_NCT | CLIENT_NCT => {
                if value.is_some() {
                    return Err(format!("{name} takes no value"));
                }
                let flag = if name == SERVER_NCT {
                    &mut parsed.server_nct
                } else {
                    &mut parsed.client_nct
                };
                if *flag {
                    return duplicate();
                }
                *flag = true;
            }
            SERVER_MWB | CLIENT_MWB => {
                let slot = if name == SERVER_MWB {
                    &mut parsed.server_mwb
                } else {
                    &mut parsed.client_mwb
                };
                if slot.is_some() {
                    return duplicate();
                }
                *slot = Some(bits(value)?);
            }
            _ => return Err(format!("unknown parameter {name}")),
        }
    }
    Ok(parsed)
}

impl DeflateConfig {
    /// The client's offer (one `Sec-WebSocket-Extensions` element).
    ///
    /// It always offers `client_max_window_bits` (so the server may shrink this end's
    /// window), with this end's window when it is under 15; it asks for
    /// `server_max_window_bits`, `server_no_context_takeover` and
    /// `client_no_context_takeover` as configured (the last two always in the
    /// [shared mode](super::DeflateMode::Shared)).
    ///
    /// ```
    /// use rfc6455_proto::extension::deflate::DeflateConfig;
    /// assert_eq!(
    ///     DeflateConfig::default().offer().to_string(),
    ///     "permessage-deflate; client_max_window_bits",
    /// );
    /// let custom = DeflateConfig::default()
    ///     .window_bits(12)
    ///     .peer_window_bits(Some(10))
    ///     .peer_no_context_takeover(true);
    /// assert_eq!(
    ///     custom.offer().to_string(),
    ///     "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12",
    /// );
    /// ```
    pub fn offer(&self) -> ExtensionOffer {
        let mut params = Vec::new();
        if self.asks_peer_reset() {
            params.push((SERVER_NCT.to_owned(), None));
        }
        if self.resets_own() {
            params.push((CLIENT_NCT.to_owned(), None));
        }
        if let Some(bits) = self.peer_window_bits {
            params.push((SERVER_MWB.to_owned(), Some(bits.to_string())));
        }
        let own = (self.window_bits < 15).then(|| self.window_bits.to_string());
        params.push((CLIENT_MWB.to_owned(), own));
        ExtensionOffer {
            name: NAME.to_owned(),
            params,
        }
    }

    /// The server's choice: the agreed parameters of the first `permessage-deflate` offer
    /// in `offers` that is valid, or `None` (answer without the extension).
    ///
    /// An offer with an unknown or repeated parameter, or an invalid value, is declined
    /// (§5: the next offer may still be accepted). For an accepted offer:
    ///
    /// | offered | answered |
    /// |---|---|
    /// | `server_no_context_takeover` | echoed (this server honours it); answered also when [`no_context_takeover`](Self::no_context_takeover) is set or in the [shared mode](super::DeflateMode::Shared) |
    /// | `client_no_context_takeover` | echoed (the client said it will reset); answered also when [`peer_no_context_takeover`](Self::peer_no_context_takeover) is set or in the shared mode |
    /// | `server_max_window_bits=N` | `server_max_window_bits=min(N, window_bits)`; N = 8 is accepted and this end then sends uncompressed |
    /// | no `server_max_window_bits` | `server_max_window_bits=window_bits` if under 15 |
    /// | `client_max_window_bits[=N]` | `client_max_window_bits=min(N or 15, peer_window_bits or 15)` |
    /// | no `client_max_window_bits` | nothing (the client's window is 15) |
    ///
    /// ```
    /// use rfc6455_proto::extension::deflate::DeflateConfig;
    /// use rfc6455_proto::extension::parse_header_value;
    /// let offers = parse_header_value(
    ///     "permessage-deflate; x=1, permessage-deflate; server_max_window_bits=10",
    /// )?;
    /// let agreed = DeflateConfig::default().accept(&offers).unwrap();
    /// assert_eq!(agreed.answer().to_string(), "permessage-deflate; server_max_window_bits=10");
    /// # Ok::<(), rfc6455_proto::HandshakeError>(())
    /// ```
    pub fn accept(&self, offers: &[ExtensionOffer]) -> Option<DeflateParams> {
        offers
            .iter()
            .filter(|o| o.name().eq_ignore_ascii_case(NAME))
            .find_map(|offer| self.accept_one(offer))
    }

    fn accept_one(&self, offer: &ExtensionOffer) -> Option<DeflateParams> {
        let offered = parse(offer).ok()?;
        let (server_bits, server_mwb_sent) = match offered.server_mwb {
            // §7.1.2.1: server_max_window_bits in an offer needs a value.
            Some(None) => return None,
            Some(Some(n)) => (n.min(self.window_bits), true),
            None => (self.window_bits, self.window_bits < 15),
        };
        let (client_bits, client_mwb_sent) = match offered.client_mwb {
            None => (15, false),
            Some(n) => {
                let bits = n.unwrap_or(15).min(self.peer_window_bits.unwrap_or(15));
                (bits, true)
            }
        };
        Some(DeflateParams {
            server_no_context_takeover: offered.server_nct || self.resets_own(),
            client_no_context_takeover: offered.client_nct || self.asks_peer_reset(),
            server_max_window_bits: server_bits,
            client_max_window_bits: client_bits,
            server_mwb_sent,
            client_mwb_sent,
        })
    }

    /// The client's check of the server's answer (the parsed `Sec-WebSocket-Extensions` of
    /// the 101, given that [`offer`](Self::offer) was sent): `Ok(None)` when the server did
    /// not accept permessage-deflate, `Ok(Some(agreed))` when it did.
    ///
    /// # Errors
    ///
    /// [`HandshakeError::InvalidExtensionAnswer`] when the answer names
    /// permessage-deflate twice, has an unknown or repeated parameter or an invalid value,
    /// a `client_max_window_bits` without a value, or a `server_max_window_bits` above the
    /// one offered: the client must fail the connection (§7.1).
    ///
    /// ```
    /// use rfc6455_proto::extension::deflate::DeflateConfig;
    /// use rfc6455_proto::extension::parse_header_value;
    /// let config = DeflateConfig::default();
    /// let ok = parse_header_value("permessage-deflate; client_max_window_bits=10")?;
    /// assert_eq!(config.check_answer(&ok)?.unwrap().client_max_window_bits, 10);
    /// let bad = parse_header_value("permessage-deflate; client_max_window_bits")?;
    /// assert!(config.check_answer(&bad).is_err());
    /// # Ok::<(), rfc6455_proto::HandshakeError>(())
    /// ```
    pub fn check_answer(
        &self,
        answer: &[ExtensionOffer],
    ) -> Result<Option<DeflateParams>, HandshakeError> {
        let fail = |why: String| HandshakeError::InvalidExtensionAnswer(why);
        let mut ours = answer
            .iter()
            .filter(|e| e.name().eq_ignore_ascii_case(NAME));
        let Some(element) = ours.next() else {
            return Ok(None);
        };
        if ours.next().is_some() {
            return Err(fail("permessage-deflate answered twice".to_owned()));
        }
        let got = parse(element).map_err(fail)?;
        let server_bits = match got.server_mwb {
            None => 15,
            Some(None) => return Err(fail("server_max_window_bits without a value".to_owned())),
            Some(Some(n)) => {
                if let Some(asked) = self.peer_window_bits
                    && n > asked
                {
                    return Err(fail(format!(
                        "server_max_window_bits={n} is over the {asked} offered"
                    )));
                }
                n
            }
        };
        let client_bits = match got.client_mwb {
            None => self.window_bits,
            Some(None) => return Err(fail("client_max_window_bits without a value".to_owned())),
            Some(Some(n)) if self.window_bits < 15 && n > self.window_bits => {
                return Err(fail(format!(
                    "client_max_window_bits={n} is over the {} offered",
                    self.window_bits
                )));
            }
            Some(Some(n)) => n,
        };
        if self
            .peer_window_bits
            .is_some_and(|asked| server_bits > asked)
        {
            return Err(fail("server_max_window_bits missing".to_owned()));
        }
        Ok(Some(DeflateParams {
            server_no_context_takeover: got.server_nct,
            client_no_context_takeover: got.client_nct || self.resets_own(),
            server_max_window_bits: server_bits,
            client_max_window_bits: client_bits,
            server_mwb_sent: got.server_mwb.is_some(),
            client_mwb_sent: got.client_mwb.is_some(),
        }))
    }
}
