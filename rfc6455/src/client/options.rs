//! [`ClientOptions`]: the settings of a client, fixed before it connects.

#[cfg(feature = "tls")]
use std::path::Path;
#[cfg(feature = "tls")]
use std::sync::Arc;
use std::time::Duration;

use http::header::{HeaderName, ORIGIN, USER_AGENT};
use http::{HeaderMap, HeaderValue};
use rfc6455_proto::hybi00::FramingMode;
use rfc6455_proto::{HandshakeError, Variant};

use crate::client::cookies;
use crate::client::proxy::Proxy;
use crate::config::Config;
use crate::error::Error;
use crate::http2::Http2;
#[cfg(feature = "tls")]
use crate::tls::{ClientTls, TrustRoots};

/// Settings of a client connection.
///
/// | option | default |
/// |---|---|
/// | [`subprotocols`](Self::subprotocols) | none offered |
/// | [`header`](Self::header), [`origin`](Self::origin), [`user_agent`](Self::user_agent), [`cookie`](Self::cookie) | no extra headers (no `Origin`, no `User-Agent`) |
/// | [`connect_timeout`](Self::connect_timeout) | 30 s for TCP connect (and the proxy's `CONNECT`) |
/// | [`tls_timeout`](Self::tls_timeout) | 30 s for the TLS handshake (`wss://`) |
/// | [`handshake_timeout`](Self::handshake_timeout) | 30 s for the opening handshake |
/// | [`max_redirects`](Self::max_redirects) | 5 |
/// | [`danger_allow_insecure_redirects`](Self::danger_allow_insecure_redirects) | `false`: never from `wss://` to `ws://` |
/// | [`proxy`](Self::proxy), [`proxy_from_env`](Self::proxy_from_env) | no proxy; the environment is not read |
/// | [`trust_roots`](Self::trust_roots) | the Mozilla roots ([`TrustRoots::Mozilla`](crate::tls::TrustRoots::Mozilla)) |
/// | [`ca_pem_file`](Self::ca_pem_file), [`ca_pem`](Self::ca_pem), [`ca_certificate`](Self::ca_certificate) | no extra CA |
/// | [`tls_config`](Self::tls_config) | none: built from the options above |
/// | [`danger_accept_invalid_certificates`](Self::danger_accept_invalid_certificates) | `false`: certificates are always verified |
/// | [`max_header_size`](Self::max_header_size) | 16 KiB for the response head |
/// | [`config`](Self::config) | [`Config::default`] |
/// | [`compression`](Self::compression) | off (permessage-deflate, part of [`Config`]) |
/// | [`variant`](Self::variant) | [`Variant::Rfc6455`] |
///
/// The TLS options exist with the `tls` feature (on by default).
///
/// ```
/// let options = rfc6455::ClientOptions::default()
///     .subprotocols(["chat", "superchat"])
///     .origin("https://example.com")
///     .user_agent("my-app/1.0")
///     .cookie("session", "abc123")
///     .header(http::header::AUTHORIZATION, http::HeaderValue::from_static("Bearer t0ken"));
/// # let _ = options;
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
#[must_use = "options do nothing until given to `connect_with` or `client`"]
pub struct ClientOptions {
    pub(crate) subprotocols: Vec<String>,
    pub(crate) headers: HeaderMap,
    pub(crate) cookies: Vec<String>,
    /// An option given an unusable value: reported by `connect`.
    pub(crate) invalid: Option<&'static str>,
    pub(crate) connect_timeout: Duration,
    pub(crate) tls_timeout: Duration,
    pub(crate) handshake_timeout: Duration,
    pub(crate) max_redirects: usize,
    pub(crate) allow_insecure_redirects: bool,
    pub(crate) proxy: Option<Proxy>,
    pub(crate) proxy_from_env: bool,
    pub(crate) max_header_size: usize,
    pub(crate) config: Config,
    pub(crate) variant: Variant,
    pub(crate) hybi00_framing: FramingMode,
    pub(crate) http2: Http2,
    #[cfg(feature = "tls")]
    pub(crate) tls: ClientTls,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            subprotocols: Vec::new(),
            headers: HeaderMap::new(),
            cookies: Vec::new(),
            invalid: None,
            connect_timeout: Duration::from_secs(30),
            tls_timeout: Duration::from_secs(30),
            handshake_timeout: Duration::from_secs(30),
            max_redirects: 5,
            allow_insecure_redirects: false,
            proxy: None,
            proxy_from_env: false,
            max_header_size: 16 * 1024,
            config: Config::default(),
            variant: Variant::Rfc6455,
            hybi00_framing: FramingMode::Old,
            http2: Http2::Off,
            #[cfg(feature = "tls")]
            tls: ClientTls::default(),
        }
    }
}

impl ClientOptions {
    /// Subprotocols to offer, in order of preference.
    ///
    /// ```
    /// let options = rfc6455::ClientOptions::default().subprotocols(["chat.v2", "chat"]);
    /// # let _ = options;
    /// ```
    #[must_use = "the options are changed in the value returned, which is lost if not used"]
    pub fn subprotocols<I, S>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.subprotocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// An extra request header (`Authorization`, `Cookie`, …), added to any given before
    /// under the same name. The handshake's own headers (`Host`, `Upgrade`, `Connection`,
    /// `Sec-WebSocket-*`) cannot be replaced.
    ///
    /// `Authorization` and `Cookie` are dropped when a redirect leads to another host or
    /// port.
    ///
    /// ```
    /// let options = rfc6455::ClientOptions::default()
    ///     .header(http::header::AUTHORIZATION, http::HeaderValue::from_static("Bearer t0ken"));
    /// # let _ = options;
    /// ```
    #[must_use = "the options are changed in the value returned, which is lost if not used"]
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// The `Origin` header (what a browser sends: the page's scheme, host and port). Not
    /// sent by default. A value that is not a valid header value makes `connect` fail with
    /// [`ErrorKind::Handshake`](crate::ErrorKind::Handshake).
    ///
    /// ```
    /// let options = rfc6455::ClientOptions::default().origin("https://example.com");
    /// # let _ = options;
    /// ```
    #[must_use = "the options are changed in the value returned, which is lost if not used"]
    pub fn origin<V: TryInto<HeaderValue>>(self, origin: V) -> Self {
        self.set_header(ORIGIN, origin, "Origin")
    }

    /// The `User-Agent` header. Not sent by default. A value that is not a valid header
    /// value makes `connect` fail with [`ErrorKind::Handshake`](crate::ErrorKind::Handshake).
    ///
    /// ```
    /// let options = rfc6455::ClientOptions::default().user_agent("my-app/1.0");
    /// # let _ = options;
    /// ```
    #[must_use = "the options are changed in the value returned, which is lost if not used"]
    pub fn user_agent<V: TryInto<HeaderValue>>(self, user_agent: V) -> Self {
        self.set_header(USER_AGENT, user_agent, "User-Agent")
    }

    fn set_header<V: TryInto<HeaderValue>>(
        mut self,
        name: HeaderName,
        value: V,
        what: &'static str,
    ) -> Self {
        match value.try_into() {
            Ok(value) => {
                self.headers.insert(name, value);
            }
            Err(_) => self.invalid = Some(what),
        }
        self
    }

    /// A cookie, sent in the `Cookie` header (all cookies, and any `Cookie` given with
    /// [`header`](Self::header), in one header as RFC 6265 §5.4 asks). Cookies are not
    /// sent on after a redirect to another host or port.
    ///
    /// A name or value with characters a cookie cannot hold (`;`, `,`, spaces, controls,
    /// `=` in the name) makes `connect` fail with
    /// [`ErrorKind::Handshake`](crate::ErrorKind::Handshake).
    ///
    /// ```
    /// let options = rfc6455::ClientOptions::default()
    ///     .cookie("session", "abc123")
    ///     .cookie("theme", "dark"); // Cookie: session=abc123; theme=dark
    /// # let _ = options;
    /// ```
    #[must_use = "the options are changed in the value returned, which is lost if not used"]
    pub fn cookie(mut self, name: &str, value: &str) -> Self {
        match cookies::pair(name, value) {
            Some(cookie) => self.cookies.push(cookie),
            None => self.invalid = Some("Cookie"),
        }
        self
    }

    /// How long the TCP connect may take, including the proxy's answer to `CONNECT`
    /// when there is a proxy. Default 30 s.
    ///
    /// ```
    /// let options = rfc6455::ClientOptions::default()
    ///     .connect_timeout(std::time::Duration::from_secs(5));
    /// # let _ = options;
    /// ```
    #[must_use = "the options are changed in the value returned, which is lost if not used"]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long the TLS handshake of a `wss://` connection may take. Default 30 s.
    ///
    /// ```
    /// let options = rfc6455::ClientOptions::default()
    ///     .tls_timeout(std::time::Duration::from_secs(5));
    /// # let _ = options;
    /// ```
    #[must_use = "the options are changed in the value returned, which is lost if not used"]
    pub fn tls_timeout(mut self, timeout: Duration) -> Self {
        self.tls_timeout = timeout;
        self
    }

    /// How long the opening handshake may take once connected (and, for `wss://`, once
    /// TLS is up). Default 30 s. Each redirect starts the three timeouts anew.
    ///
    /// ```
    /// let options = rfc6455::ClientOptions::default()
    ///     .handshake_timeout(std::time::Duration::from_secs(5));
    /// # let _ = options;
    /// ```
    #[must_use = "the options are changed in the value returned, which is lost if not used"]
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// How many redirects (`301`, `302`, `303`, `307`, `308` with a `Location`) to follow.
    /// Default 5; 0 follows none (a redirect is then an
    /// [`ErrorKind::Handshake`](crate::ErrorKind::Handshake) error like any non-101
    /// answer). One more fails with [`ErrorKind::Redirect`](crate::ErrorKind::Redirect).
    ///
    /// A relative `Location` is resolved against the URL that answered; `http://` maps to
    /// `ws://` and `https://` to `wss://`. The URL finally connected to is
    /// [`HandshakeInfo::url`](crate::HandshakeInfo::url).
    ///
    /// ```
    /// let options = rfc6455::ClientOptions::default().max_redirects(0);
    /// # let _ = options;
    /// ```
    #[must_use = "the options are changed in the value returned, which is lost if not used"]
    pub fn max_redirects(mut self, max: usize) -> Self {
        self.max_redirects = max;
        self
    }

    /// Follow redirects from `wss://` to `ws://` (or `http://`), which give up TLS on the
    /// way: whoever answered the `wss://` URL could then see and change the connection.
    /// Default `false`: such a redirect fails with
    /// [`ErrorKind::Redirect`](crate::ErrorKind::Redirect).
    ///
    /// ```
    /// let options = rfc6455::ClientOptions::default().danger_allow_insecure_redirects(true);
    /// # let _ = options;
    /// ```
    #[must_use = "the options are changed in the value returned, which is lost if not used"]
    pub fn danger_allow_insecure_redirects(mut self, allow: bool) -> Self {
        self.allow_insecure_redirects = allow;
        self
    }

    /// Connect through this HTTP proxy, which tunnels the connection with `CONNECT`:
    /// `http://[user:password@]host[:port]` (port 80 by default; a URL without a scheme is
    /// taken as `http://`). The userinfo, percent-decoded, is sent as
    /// `Proxy-Authorization: Basic`. `wss://` stays end-to-end encrypted through the
    /// tunnel. Takes precedence over [`proxy_from_env`](Self::proxy_from_env).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidUrl`](crate::ErrorKind::InvalidUrl) for a URL that does not
    /// parse or is not `http://` (HTTPS and SOCKS proxies are not supported).
    ///
    /// ```
    /// let options = rfc6455::ClientOptions::default().proxy("http://user:secret@127.0.0.1:3128")?;
    /// # let _ = options;
    /// # Ok::<(), rfc6455::Error>(())
    /// ```
    pub fn proxy(mut self, url: &str) -> Result<Self, Error> {
        self.proxy = Some(Proxy::parse(url)?);
        Ok(self)
    }

    /// Take the proxy from the environment, as curl does: `https_proxy` or `HTTPS_PROXY`
    /// for `wss://`, `http_proxy` or `HTTP_PROXY` for `ws://`, else `all_proxy` or
    /// `ALL_PROXY`; none for a host that `no_proxy` or `NO_PROXY` lists (comma-separated:
    /// `*`, domains matching themselves and their subdomains, with or without a leading
    /// `.`, IP addresses, CIDR networks, each with an optional `:port`). Read at every
    /// connect. Default `false`: the environment is not looked at.
    ///
    /// ```
    /// let options = rfc6455::ClientOptions::default().proxy_from_env(true);
    /// # let _ = options;
    /// ```
    #[must_use = "the options are changed in the value returned, which is lost if not used"]
    pub fn proxy_from_env(mut self, enabled: bool) -> Self {
        self.proxy_from_env = enabled;
        self
    }

    /// The largest response head accepted. Default 16 KiB.
    ///
    /// ```
    /// let options = rfc6455::ClientOptions::default().max_header_size(64 * 1024);
    /// # let _ = options;
    /// ```
    #[must_use = "the options are changed in the value returned, which is lost if not used"]
    pub fn max_header_size(mut self, bytes: usize) -> Self {
        self.max_header_size = bytes;
        self
    }

    /// Settings of the connection (limits, idle timeout, buffers).
    ///
    /// ```
    /// let config = rfc6455::Config::default().idle_timeout(None);
    /// let options = rfc6455::ClientOptions::default().config(config);
    /// # let _ = options;
    /// ```
    #[must_use = "the options are changed in the value returned, which is lost if not used"]
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Offer permessage-deflate (RFC 7692); shorthand for [`Config::compression`], which
    /// says what it costs. The server's answer is checked and an invalid one fails the
    /// handshake. Default: off.
    ///
    /// ```
    /// let options = rfc6455::ClientOptions::default()
    ///     .compression(Some(rfc6455::DeflateConfig::default()));
    /// # let _ = options;
    /// ```
    #[must_use = "the options are changed in the value returned, which is lost if not used"]
    pub fn compression(
        mut self,
        settings: Option<rfc6455_proto::extension::deflate::DeflateConfig>,
    ) -> Self {
        self.config = self.config.compression(settings);
        self
    }

    /// The protocol to speak: [`Variant::Rfc6455`] (the default) or the legacy
    /// [`Variant::Hybi00`] draft (the original's `#:protocol 'hybi00`).
    ///
    /// ```
    /// let options = rfc6455::ClientOptions::default().variant(rfc6455::Variant::Hybi00);
    /// # let _ = options;
    /// ```
    #[must_use = "the options are changed in the value returned, which is lost if not used"]
    pub fn variant(mut self, variant: Variant) -> Self {
        self.variant = variant;
        self
    }

    /// The hybi-00 framing mode: `Old` (`0x00 … 0xFF`, the default and what browsers
    /// spoke) or `New` (length-prefixed, as the original's `hybi00-framing-mode 'new`).
    ///
    /// ```
    /// use rfc6455::proto::hybi00::FramingMode;
    /// let options = rfc6455::ClientOptions::default()
    ///     .variant(rfc6455::Variant::Hybi00)
    ///     .hybi00_framing(FramingMode::New);
    /// # let _ = options;
    /// ```
    #[must_use = "the options are changed in the value returned, which is lost if not used"]
    pub fn hybi00_framing(mut self, mode: FramingMode) -> Self {
        self.hybi00_framing = mode;
        self
    }

    /// The extra headers of every request: those given, and the cookies in one `Cookie`
    /// header with any `Cookie` given, here or in `own` (a request's own headers, added
    /// after those of the options).
    ///
    /// # Errors
    /// [`ErrorKind::Handshake`](crate::ErrorKind::Handshake) for an option given an
    /// unusable value.
    /// Whether to open the WebSocket as a stream of an HTTP/2 connection (RFC 8441),
    /// shared with the other `connect` calls to the same origin: [`Http2::Off`] (the
    /// default), [`Http2::Prefer`] (over TLS, when the server agrees) or
    /// [`Http2::Require`] (over TLS, or h2c with prior knowledge for `ws://`).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), rfc6455::Error> {
    /// use rfc6455::{ClientOptions, http2::Http2};
    /// let options = ClientOptions::default().http2(Http2::Prefer);
    /// let (ws, _) = rfc6455::connect_with("wss://example.com/chat", options).await?;
    /// println!("over {:?}", ws.handshake().http_version());
    /// # Ok(()) }
    /// ```
    #[must_use = "the options are changed in the value returned, which is lost if not used"]
    pub fn http2(mut self, mode: Http2) -> Self {
        self.http2 = mode;
        self
    }

    pub(crate) fn request_headers(&self, own: HeaderMap) -> Result<HeaderMap, Error> {
        if let Some(what) = self.invalid {
            return Err(HandshakeError::InvalidHeader(what).into());
        }
        let mut headers = self.headers.clone();
        let mut name = None;
        for (next, value) in own {
            name = next.or(name);
            if let Some(name) = &name {
                headers.append(name.clone(), value);
            }
        }
        if !self.cookies.is_empty() {
            cookies::merge(&mut headers, &self.cookies);
        }
        Ok(headers)
    }
}

#[cfg(feature = "tls")]
impl ClientOptions {
    /// The root certificates `wss://` servers are checked against. Default
    /// [`TrustRoots::Mozilla`]. CA certificates added with
    /// [`ca_pem_file`](Self::ca_pem_file) and friends are trusted as well.
    ///
    /// ```
    /// use rfc6455::tls::TrustRoots;
    /// let options = rfc6455::ClientOptions::default().trust_roots(TrustRoots::MozillaAndPlatform);
    /// # let _ = options;
    /// ```
    #[must_use = "the options are changed in the value returned, which is lost if not used"]
    pub fn trust_roots(mut self, roots: TrustRoots) -> Self {
        self.tls.roots = roots;
        self
    }

    /// Also trust the CA certificates of this PEM file (for servers whose certificates a
    /// private CA signed). Read now.
    ///
    /// # Errors
    /// [`ErrorKind::Io`](crate::ErrorKind::Io) when the file cannot be read or holds no
    /// PEM certificate.
    ///
    /// ```no_run
    /// let options = rfc6455::ClientOptions::default().ca_pem_file("my-ca.pem")?;
    /// # let _ = options;
    /// # Ok::<(), rfc6455::Error>(())
    /// ```
    pub fn ca_pem_file(mut self, path: impl AsRef<Path>) -> Result<Self, Error> {
        self.tls.add_pem_file(path.as_ref())?;
        Ok(self)
    }

    /// Also trust the CA certificates of this PEM text.
    ///
    /// # Errors
    /// [`ErrorKind::Io`](crate::ErrorKind::Io) when the text holds no PEM certificate.
    ///
    /// ```no_run
    /// let pem = std::fs::read("my-ca.pem")?;
    /// let options = rfc6455::ClientOptions::default().ca_pem(&pem)?;
    /// # let _ = options;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ca_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        self.tls.add_pem(pem)?;
        Ok(self)
    }

    /// Also trust this CA certificate (DER).
    ///
    /// ```no_run
    /// use rfc6455::tls::rustls::pki_types::CertificateDer;
    /// let der = std::fs::read("my-ca.der")?;
    /// let options = rfc6455::ClientOptions::default().ca_certificate(CertificateDer::from(der));
    /// # let _ = options;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[must_use = "the options are changed in the value returned, which is lost if not used"]
    pub fn ca_certificate(
        mut self,
        certificate: rustls::pki_types::CertificateDer<'static>,
    ) -> Self {
        self.tls.extra.push(certificate);
        self
    }

    /// Use this rustls configuration for `wss://` as it is: the roots, CA certificates and
    /// `danger_` TLS option above are then not used. SNI and the name check stay on unless
    /// the configuration itself turns them off. Give it ALPN `http/1.1` or none.
    ///
    /// ```no_run
    /// # fn demo(config: rfc6455::tls::rustls::ClientConfig) {
    /// let options = rfc6455::ClientOptions::default().tls_config(std::sync::Arc::new(config));
    /// # let _ = options; }
    /// ```
    #[must_use = "the options are changed in the value returned, which is lost if not used"]
    pub fn tls_config(mut self, config: Arc<rustls::ClientConfig>) -> Self {
        self.tls.config = Some(config);
        self
    }

    /// Accept any certificate from a `wss://` server: expired, self-signed, for another
    /// name. **This turns TLS's protection off**: anyone on the path can pose as the
    /// server. For tests against throw-away certificates only; prefer
    /// [`ca_pem_file`](Self::ca_pem_file) with the test CA. Default `false`.
    ///
    /// ```
    /// let options = rfc6455::ClientOptions::default().danger_accept_invalid_certificates(true);
    /// # let _ = options;
    /// ```
    #[must_use = "the options are changed in the value returned, which is lost if not used"]
    pub fn danger_accept_invalid_certificates(mut self, accept: bool) -> Self {
        self.tls.danger_accept_invalid_certificates = accept;
        self
    }
}
