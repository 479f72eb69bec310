//! What a client connects to: a `ws://` or `wss://` URL, parsed and checked once.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderValue;
use percent_encoding::percent_decode_str;

use crate::error::Error;

/// Parse a `ws://` or `wss://` URL.
pub(crate) fn parse_url(url: &str) -> Result<url::Url, Error> {
    let parsed = url::Url::parse(url).map_err(|e| Error::invalid_url(format!("{url}: {e}")))?;
    match parsed.scheme() {
        "ws" | "wss" => {}
        other => {
            return Err(Error::invalid_url(format!(
                "{url}: scheme {other:?} is not ws or wss"
            )));
        }
    }
    if parsed.fragment().is_some() {
        // RFC 6455 §3: "Fragment identifiers are meaningless in the context of
        // WebSocket URIs and MUST NOT be used".
        return Err(Error::invalid_url(format!("{url}: fragment not allowed")));
    }
    Ok(parsed)
}

/// A parsed `ws://` or `wss://` URL.
#[derive(Debug)]
pub(crate) struct Target {
    pub(crate) url: url::Url,
    pub(crate) uri: http::Uri,
    /// The host to connect to and to name in TLS: a DNS name, or an IP address without
    /// brackets.
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) secure: bool,
}

impl Target {
    pub(crate) fn new(url: url::Url) -> Result<Self, Error> {
        let secure = match url.scheme() {
            "ws" => false,
            "wss" => true,
            other => return Err(Error::invalid_url(format!("scheme {other:?} is not ws"))),
        };
        let host = match url.host() {
            Some(url::Host::Domain(d)) => d.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(Error::invalid_url(format!("{url}: no host"))),
        };
        let port = url
            .port_or_known_default()
            .unwrap_or(if secure { 443 } else { 80 });
        let uri: http::Uri = url
            .as_str()
            .parse()
            .map_err(|e| Error::invalid_url(format!("{url}: {e}")))?;
        Ok(Self {
            url,
            uri,
            host,
            port,
            secure,
        })
    }

    /// `Authorization: Basic …` from the URL's userinfo, if it has one.
    pub(crate) fn basic_auth(&self) -> Option<HeaderValue> {
        if self.url.username().is_empty() && self.url.password().is_none() {
            return None;
        }
        let user = percent_decode_str(self.url.username()).decode_utf8_lossy();
        let password = percent_decode_str(self.url.password().unwrap_or("")).decode_utf8_lossy();
        let mut value = HeaderValue::try_from(format!(
            "Basic {}",
            STANDARD.encode(format!("{user}:{password}"))
        ))
        .ok()?;
        value.set_sensitive(true);
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> Target {
        Target::new(parse_url(url).unwrap()).unwrap()
    }

    #[test]
    fn only_ws_and_wss_without_fragment() {
        for bad in [
            "http://h/",
            "ftp://h/",
            "ws://h/#x",
            "wss://h/#",
            "not a url",
            "",
        ] {
            assert!(parse_url(bad).is_err(), "{bad:?}");
        }
        assert!(parse_url("ws://h/").is_ok());
        assert!(parse_url("wss://h/chat?x=1").is_ok());
    }

    #[test]
    fn hosts_ports_and_schemes() {
        let t = target("ws://example.com/chat?x=1");
        assert_eq!(
            (t.host.as_str(), t.port, t.secure),
            ("example.com", 80, false)
        );
        assert_eq!(t.uri.path_and_query().unwrap().as_str(), "/chat?x=1");
        let t = target("wss://[::1]:8443/");
        assert_eq!((t.host.as_str(), t.port, t.secure), ("::1", 8443, true));
        let t = target("wss://10.0.0.1");
        assert_eq!((t.host.as_str(), t.port), ("10.0.0.1", 443));
        assert!(Target::new("http://h/".parse().unwrap()).is_err());
    }

    #[test]
    fn userinfo_is_basic_authorization() {
        assert!(target("ws://h/").basic_auth().is_none());
        let auth = target("ws://us%20er:p%40ss@h/").basic_auth().unwrap();
        assert!(auth.is_sensitive());
        let expected = format!("Basic {}", STANDARD.encode("us er:p@ss"));
        assert_eq!(auth.to_str().unwrap(), expected);
        let auth = target("ws://user@h/").basic_auth().unwrap();
        let expected = format!("Basic {}", STANDARD.encode("user:"));
        assert_eq!(auth.to_str().unwrap(), expected);
    }
}
