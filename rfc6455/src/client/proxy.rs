//! HTTP proxies for the client: an `http://` proxy tunnels the connection with `CONNECT`
//! (RFC 9110 §9.3.6), with Basic authentication from the proxy URL's userinfo; the proxy
//! comes from an option or from the usual environment variables, with `NO_PROXY`.

use std::fmt;
use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::BytesMut;
use http::header::{HOST, PROXY_AUTHORIZATION};
use http::{HeaderMap, HeaderValue};
use percent_encoding::percent_decode_str;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::error::Error;
use crate::http1::{request, response};

/// An `http://` proxy.
#[derive(Clone)]
pub(crate) struct Proxy {
    host: String,
    port: u16,
    /// `Proxy-Authorization: Basic …` from the URL's userinfo.
    auth: Option<HeaderValue>,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the credentials.
        f.debug_struct("Proxy")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("auth", &self.auth.is_some())
            .finish()
    }
}

impl fmt::Display for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "proxy {}", authority(&self.host, self.port))
    }
}

impl Proxy {
    /// Parse `http://[user[:password]@]host[:port][/]`; a URL without a scheme is taken
    /// as `http://` (as curl does with `HTTPS_PROXY=proxy:3128`). The default port is 80.
    pub(crate) fn parse(url: &str) -> Result<Self, Error> {
        let text = url.trim();
        let with_scheme = if text.contains("://") {
            text.to_owned()
        } else {
            format!("http://{text}")
        };
        let invalid = |why: &str| Error::invalid_url(format!("proxy {text:?}: {why}"));
        let parsed = url::Url::parse(&with_scheme).map_err(|e| invalid(&e.to_string()))?;
        if parsed.scheme() != "http" {
            return Err(invalid(
                "only http:// proxies are supported (CONNECT tunnels)",
            ));
        }
        let host = match parsed.host() {
            Some(url::Host::Domain(d)) => d.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(invalid("no host")),
        };
        let auth = if parsed.username().is_empty() && parsed.password().is_none() {
            None
        } else {
            let user = percent_decode_str(parsed.username()).decode_utf8_lossy();
            let password = percent_decode_str(parsed.password().unwrap_or("")).decode_utf8_lossy();
            let token = STANDARD.encode(format!("{user}:{password}"));
            let mut value = HeaderValue::try_from(format!("Basic {token}"))
                .map_err(|_| invalid("credentials"))?;
            value.set_sensitive(true);
            Some(value)
        };
        Ok(Self {
            host,
            port: parsed.port_or_known_default().unwrap_or(80),
            auth,
        })
    }

    /// Connect to the proxy and open a tunnel to `host:port` (`host` without brackets).
    /// `max_header_size` bounds the proxy's answer head.
    pub(crate) async fn tunnel(
        &self,
        host: &str,
        port: u16,
        max_header_size: usize,
    ) -> Result<TcpStream, Error> {
        let mut tcp = TcpStream::connect((self.host.as_str(), self.port)).await?;
        let _ = tcp.set_nodelay(true);
        let target = authority(host, port);
        let mut headers = HeaderMap::new();
        headers.insert(
            HOST,
            HeaderValue::try_from(&target)
                .map_err(|_| Error::invalid_url(format!("{target}: not a valid host")))?,
        );
        if let Some(auth) = &self.auth {
            headers.insert(PROXY_AUTHORIZATION, auth.clone());
        }
        tcp.write_all(&request::encode("CONNECT", &target, &headers, &[]))
            .await?;
        let mut buf = BytesMut::with_capacity(512);
        let (response, head_len) =
            match response::read_head(&mut tcp, &mut buf, max_header_size).await {
                Ok(answer) => answer,
                Err(e) if e.io_error().is_some() => return Err(e),
                Err(e) => {
                    return Err(Error::proxy(
                        format!("{self} did not answer CONNECT with HTTP: {e}"),
                        None,
                    ));
                }
            };
        let _ = buf.split_to(head_len);
        let status = response.status();
        if !status.is_success() {
            let body = response::read_body_start(&mut tcp, buf, &response).await;
            let (parts, ()) = response.into_parts();
            return Err(Error::proxy(
                format!("{self} refused CONNECT to {target}: {status}"),
                Some(http::Response::from_parts(parts, body)),
            ));
        }
        if !buf.is_empty() {
            // Nothing may come before this end speaks (TLS or the upgrade request).
            return Err(Error::proxy(
                format!("{self} sent data after its CONNECT answer"),
                None,
            ));
        }
        Ok(tcp)
    }
}

/// `host:port`, an IPv6 literal in brackets.
fn authority(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The proxy the environment names for `host:port` (`secure` for `wss://`), with
/// `var` reading a variable: `https_proxy`/`HTTPS_PROXY` for `wss://`,
/// `http_proxy`/`HTTP_PROXY` for `ws://`, then `all_proxy`/`ALL_PROXY`; none when
/// `no_proxy`/`NO_PROXY` matches the host.
pub(crate) fn from_env(
    secure: bool,
    host: &str,
    port: u16,
    var: impl Fn(&str) -> Option<String>,
) -> Result<Option<Proxy>, Error> {
    let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
    if let Some(list) = var("no_proxy").or_else(|| var("NO_PROXY"))
        && no_proxy_matches(&list, host, port)
    {
        return Ok(None);
    }
    let names: [&str; 4] = if secure {
        ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
    } else {
        ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
    };
    match names.into_iter().find_map(var) {
        Some(url) => Proxy::parse(&url).map(Some),
        None => Ok(None),
    }
}

/// Whether a `NO_PROXY` list (comma- or space-separated) names `host:port`.
///
/// Entries: `*` (every host); a domain, matching itself and its subdomains, with or
/// without a leading `.` or `*.`; an IP address; an IP network in CIDR form
/// (`10.0.0.0/8`); each optionally with `:port` (IPv6 in brackets then:
/// `[::1]:8080`).
pub(crate) fn no_proxy_matches(list: &str, host: &str, port: u16) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let host_ip: Option<IpAddr> = host.parse().ok();
    list.split([',', ' '])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let (name, entry_port) = split_entry(entry);
            if entry_port.is_some_and(|p| p != port) {
                return false;
            }
            if let Some(ip) = host_ip {
                return match name.split_once('/') {
                    Some((net, bits)) => in_network(ip, net, bits),
                    None => name.parse::<IpAddr>() == Ok(ip),
                };
            }
            let name = name
                .trim_start_matches("*.")
                .trim_start_matches('.')
                .trim_end_matches('.')
                .to_ascii_lowercase();
            !name.is_empty()
                && (host == name
                    || host
                        .strip_suffix(name.as_str())
                        .is_some_and(|rest| rest.ends_with('.')))
        })
}

/// Split `name[:port]`, `[v6][:port]`, or a bare IPv6 address.
fn split_entry(entry: &str) -> (&str, Option<u16>) {
    if let Some(rest) = entry.strip_prefix('[')
        && let Some((name, tail)) = rest.split_once(']')
    {
        return (name, tail.strip_prefix(':').and_then(|p| p.parse().ok()));
    }
    match entry.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') => match port.parse() {
            Ok(port) => (name, Some(port)),
            Err(_) => (entry, None),
        },
        _ => (entry, None),
    }
}

/// Whether `ip` is in the network `net/bits`.
fn in_network(ip: IpAddr, net: &str, bits: &str) -> bool {
    let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>()) else {
        return false;
    };
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls() {
        let p = Proxy::parse("http://user:p%40ss@proxy.example:3128/").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("proxy.example", 3128));
        let auth = p.auth.as_ref().unwrap().to_str().unwrap();
        assert_eq!(auth, format!("Basic {}", STANDARD.encode("user:p@ss")));
        assert!(!format!("{p:?}").contains("ss"), "{p:?}");
        let p = Proxy::parse("proxy.example:8080").unwrap();
        assert_eq!(
            (p.host.as_str(), p.port, p.auth.is_none()),
            ("proxy.example", 8080, true)
        );
        let p = Proxy::parse("http://[::1]").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("::1", 80));
        assert_eq!(p.to_string(), "proxy [::1]:80");
        for bad in ["https://proxy:443", "socks5://proxy:1080", "http://"] {
            assert!(Proxy::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn no_proxy_entries() {
        let list = "localhost, .internal.example,*.corp, 10.0.0.0/8 ,[::1]:8080, 192.168.1.5";
        for (host, port) in [
            ("localhost", 80),
            ("LOCALHOST", 80),
            ("internal.example", 443),
            ("a.b.internal.example", 443),
            ("corp", 1),
            ("x.corp", 1),
            ("10.1.2.3", 80),
            ("::1", 8080),
            ("192.168.1.5", 9),
        ] {
            assert!(no_proxy_matches(list, host, port), "{host}:{port}");
        }
        for (host, port) in [
            ("example.com", 80),
            ("notinternal.example", 443),
            ("localhost.evil", 80),
            ("11.0.0.1", 80),
            ("::1", 80),
            ("192.168.1.6", 9),
        ] {
            assert!(!no_proxy_matches(list, host, port), "{host}:{port}");
        }
        assert!(no_proxy_matches("*", "anything", 1));
        assert!(no_proxy_matches("example.com:8080", "example.com", 8080));
        assert!(!no_proxy_matches("example.com:8080", "example.com", 80));
    }

    #[test]
    fn environment_variables() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let vars = env(&[
            ("HTTPS_PROXY", "http://secure-proxy:1"),
            ("http_proxy", "http://plain-proxy:2"),
            ("ALL_PROXY", "http://all-proxy:3"),
            ("NO_PROXY", "skip.example"),
        ]);
        let host_of = |p: Option<Proxy>| p.map(|p| p.host);
        assert_eq!(
            host_of(from_env(true, "a.example", 443, vars).unwrap()).as_deref(),
            Some("secure-proxy")
        );
        assert_eq!(
            host_of(from_env(false, "a.example", 80, vars).unwrap()).as_deref(),
            Some("plain-proxy")
        );
        assert!(from_env(true, "skip.example", 443, vars).unwrap().is_none());
        let vars = env(&[("all_proxy", "http://all-proxy:3"), ("https_proxy", " ")]);
        assert_eq!(
            host_of(from_env(true, "a.example", 443, vars).unwrap()).as_deref(),
            Some("all-proxy")
        );
        assert!(from_env(true, "a", 1, env(&[])).unwrap().is_none());
        assert!(from_env(true, "a", 1, env(&[("https_proxy", "socks5://x")])).is_err());
    }
}
