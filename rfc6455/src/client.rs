//! The client: [`connect`] and [`connect_with`].
//!
//! One attempt per URL: TCP (directly, or through an HTTP proxy's `CONNECT` tunnel), TLS
//! for `wss://`, then the opening handshake. A redirect answer starts a new attempt at its
//! `Location`, up to [`ClientOptions::max_redirects`].

#[cfg(feature = "tls")]
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::{Bytes, BytesMut};
use http::header::{AUTHORIZATION, COOKIE, HeaderName, ORIGIN, USER_AGENT};
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use percent_encoding::percent_decode_str;
use rand::SeedableRng;
use rfc6455_proto::handshake::ClientRequest;
use rfc6455_proto::hybi00::{self, FramingMode};
use rfc6455_proto::{Connection, HandshakeError, Role, Variant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

use crate::config::Config;
use crate::error::Error;
use crate::http1::{self, response};
use crate::info::HandshakeInfo;
use crate::proxy::{self, Proxy};
use crate::socket::WebSocket;
#[cfg(feature = "tls")]
use crate::tls::{ClientTls, TrustRoots};
use crate::transport::Transport;

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
    pub fn cookie(mut self, name: &str, value: &str) -> Self {
        // RFC 6265 §4.1.1: cookie-name is a token, cookie-value cookie-octets.
        let octet_ok = |c: char| c.is_ascii_graphic() && !matches!(c, '"' | ',' | ';' | '\\');
        let name_ok = !name.is_empty() && name.chars().all(|c| octet_ok(c) && c != '=');
        if name_ok && value.chars().all(octet_ok) {
            self.cookies.push(format!("{name}={value}"));
        } else {
            self.invalid = Some("Cookie");
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
    /// [`HandshakeInfo::url`].
    ///
    /// ```
    /// let options = rfc6455::ClientOptions::default().max_redirects(0);
    /// # let _ = options;
    /// ```
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
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// The protocol to speak: [`Variant::Rfc6455`] (the default) or the legacy
    /// [`Variant::Hybi00`] draft (the original's `#:protocol 'hybi00`).
    ///
    /// ```
    /// let options = rfc6455::ClientOptions::default().variant(rfc6455::Variant::Hybi00);
    /// # let _ = options;
    /// ```
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
    pub fn hybi00_framing(mut self, mode: FramingMode) -> Self {
        self.hybi00_framing = mode;
        self
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
    pub fn danger_accept_invalid_certificates(mut self, accept: bool) -> Self {
        self.tls.danger_accept_invalid_certificates = accept;
        self
    }
}

/// Connect to a `ws://` or `wss://` URL with default options.
///
/// Returns the connection and the server's `101` response (status and headers; the
/// chosen subprotocol is also on [`WebSocket::subprotocol`], the URL finally connected to
/// on [`HandshakeInfo::url`]).
///
/// # Errors
/// - [`ErrorKind::InvalidUrl`](crate::ErrorKind::InvalidUrl) for a URL that is not `ws://`
///   or `wss://` (or `wss://` without the `tls` feature);
/// - [`ErrorKind::Io`](crate::ErrorKind::Io) if connecting fails;
/// - [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) for the connect, TLS or opening
///   handshake timeout;
/// - [`ErrorKind::Tls`](crate::ErrorKind::Tls) if TLS fails, for example a certificate
///   that is not trusted or not valid for the host;
/// - [`ErrorKind::Handshake`](crate::ErrorKind::Handshake) if the server answers other
///   than `101` (the error carries the status, headers and the start of the body:
///   [`Error::response`]) or its `101` is invalid;
/// - [`ErrorKind::Redirect`](crate::ErrorKind::Redirect) for a redirect not followed (too
///   many, `wss://` to `ws://`, no usable `Location`);
/// - [`ErrorKind::Proxy`](crate::ErrorKind::Proxy) if the proxy refuses the tunnel.
///
/// ```no_run
/// # async fn demo() -> Result<(), rfc6455::Error> {
/// let (mut ws, response) = rfc6455::connect("ws://localhost:8081/test?foo=bar").await?;
/// assert_eq!(response.status(), 101);
/// ws.send_text("Hello").await?;
/// # Ok(()) }
/// ```
pub async fn connect(url: &str) -> Result<(WebSocket, Response<()>), Error> {
    connect_with(url, ClientOptions::default()).await
}

/// Connect to a `ws://` or `wss://` URL with these options.
///
/// # Errors
/// As for [`connect`].
///
/// ```no_run
/// # async fn demo() -> Result<(), rfc6455::Error> {
/// let options = rfc6455::ClientOptions::default().subprotocols(["subprotocol"]);
/// let (ws, _) = rfc6455::connect_with("ws://localhost:8081/test", options).await?;
/// assert_eq!(ws.subprotocol(), Some("subprotocol"));
/// # Ok(()) }
/// ```
pub async fn connect_with(
    url: &str,
    options: ClientOptions,
) -> Result<(WebSocket, Response<()>), Error> {
    if let Some(what) = options.invalid {
        return Err(HandshakeError::InvalidHeader(what).into());
    }
    let mut url = parse_url(url)?;
    let mut headers = options.headers.clone();
    if !options.cookies.is_empty() {
        merge_cookies(&mut headers, &options.cookies);
    }
    let mut redirects = 0;
    loop {
        let target = Target::new(url.clone())?;
        let err = match attempt(&target, &options, &headers).await {
            Ok(connected) => return Ok(connected),
            Err(e) => e,
        };
        let redirect = options.max_redirects > 0
            && matches!(
                err.handshake_error(),
                Some(HandshakeError::UnexpectedStatus(status)) if is_redirect(*status)
            );
        if !redirect {
            return Err(err);
        }
        let response = err.into_response();
        let location = response
            .as_ref()
            .and_then(|r| r.headers().get(http::header::LOCATION))
            .map(|l| String::from_utf8_lossy(l.as_bytes()).into_owned());
        let Some(location) = location else {
            return Err(Error::redirect(
                format!("{url} answered a redirect without a Location"),
                response,
            ));
        };
        if redirects == options.max_redirects {
            return Err(Error::redirect(
                format!(
                    "too many redirects: {url} redirects to {location:?} after {redirects} \
                     (the limit; see ClientOptions::max_redirects)"
                ),
                response,
            ));
        }
        let next = match redirect_target(&url, &location, options.allow_insecure_redirects) {
            Ok(next) => next,
            Err(why) => return Err(Error::redirect(why, response)),
        };
        if (next.host_str(), next.port_or_known_default())
            != (url.host_str(), url.port_or_known_default())
        {
            // Credentials are for the host they were given for.
            headers.remove(AUTHORIZATION);
            headers.remove(COOKIE);
        }
        tracing::debug!("redirect {} → {next}", url);
        redirects += 1;
        url = next;
    }
}

/// One connection attempt at `target`: TCP (or a proxy tunnel), TLS, the handshake.
async fn attempt(
    target: &Target,
    options: &ClientOptions,
    headers: &HeaderMap,
) -> Result<(WebSocket, Response<()>), Error> {
    let proxy = match &options.proxy {
        Some(proxy) => Some(proxy.clone()),
        None if options.proxy_from_env => {
            proxy::from_env(target.secure, &target.host, target.port, |name| {
                std::env::var(name).ok()
            })?
        }
        None => None,
    };
    let deadline = Instant::now() + options.connect_timeout;
    let tcp = match &proxy {
        Some(proxy) => timeout_at(
            deadline,
            proxy.tunnel(&target.host, target.port, options.max_header_size),
        )
        .await
        .map_err(|_| Error::timeout("TCP connect and proxy CONNECT"))??,
        None => timeout_at(
            deadline,
            TcpStream::connect((target.host.as_str(), target.port)),
        )
        .await
        .map_err(|_| Error::timeout("TCP connect"))??,
    };
    let _ = tcp.set_nodelay(true);
    let local_addr = tcp.local_addr().ok();
    let peer_addr = tcp.peer_addr().ok();
    let io = if target.secure {
        tls_connect(target, options, tcp).await?
    } else {
        Transport::Tcp(tcp)
    };
    let mut headers = headers.clone();
    if !headers.contains_key(AUTHORIZATION)
        && let Some(auth) = target.basic_auth()
    {
        headers.insert(AUTHORIZATION, auth);
    }
    let deadline = Instant::now() + options.handshake_timeout;
    timeout_at(
        deadline,
        handshake(io, target, options, &headers, |info| {
            info.local_addr = local_addr;
            info.peer_addr = peer_addr;
            info.url = Some(target.url.to_string());
            info.secure = target.secure;
        }),
    )
    .await
    .map_err(|_| Error::timeout("opening handshake"))?
}

#[cfg(feature = "tls")]
async fn tls_connect(
    target: &Target,
    options: &ClientOptions,
    tcp: TcpStream,
) -> Result<Transport, Error> {
    let deadline = Instant::now() + options.tls_timeout;
    let tls = timeout_at(deadline, options.tls.connect(&target.host, tcp))
        .await
        .map_err(|_| Error::timeout("TLS handshake"))??;
    Ok(Transport::TlsClient(Box::new(tls)))
}

#[cfg(not(feature = "tls"))]
async fn tls_connect(
    _target: &Target,
    _options: &ClientOptions,
    _tcp: TcpStream,
) -> Result<Transport, Error> {
    Err(Error::invalid_url(
        "wss:// needs the `tls` feature of rfc6455",
    ))
}

/// Join every cookie, and any `Cookie` header given, into one `Cookie` header.
fn merge_cookies(headers: &mut HeaderMap, cookies: &[String]) {
    let mut all: Vec<String> = headers
        .get_all(COOKIE)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    all.extend(cookies.iter().cloned());
    if let Ok(value) = HeaderValue::try_from(all.join("; ")) {
        // Always taken: every part is a valid header value.
        headers.insert(COOKIE, value);
    }
}

fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// Parse a `ws://` or `wss://` URL.
fn parse_url(url: &str) -> Result<url::Url, Error> {
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

/// Where a redirect from `current` to `location` leads: resolved against `current`,
/// `http`/`https` mapped to `ws`/`wss`, without fragment. Refuses other schemes and, unless
/// `allow_insecure`, a step from `wss` down to `ws`.
fn redirect_target(
    current: &url::Url,
    location: &str,
    allow_insecure: bool,
) -> Result<url::Url, String> {
    let mut next = current
        .join(location.trim())
        .map_err(|e| format!("{current} redirects to {location:?}, not a URL: {e}"))?;
    let scheme = match next.scheme() {
        "ws" | "http" => "ws",
        "wss" | "https" => "wss",
        other => {
            return Err(format!(
                "{current} redirects to {next}: scheme {other:?} is not ws, wss, http or https"
            ));
        }
    };
    if current.scheme() == "wss" && scheme == "ws" && !allow_insecure {
        return Err(format!(
            "{current} redirects to {next}, from wss:// down to ws:// (without TLS); \
             refused (see ClientOptions::danger_allow_insecure_redirects)"
        ));
    }
    if next.scheme() != scheme {
        // http ↔ ws and https ↔ wss are all "special" schemes: the change is allowed.
        next.set_scheme(scheme)
            .map_err(|()| format!("{current} redirects to {next}: cannot map the scheme"))?;
    }
    next.set_fragment(None);
    Ok(next)
}

/// A parsed `ws://` or `wss://` URL.
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
        if secure && cfg!(not(feature = "tls")) {
            return Err(Error::invalid_url(format!(
                "{url}: wss:// needs the `tls` feature of rfc6455"
            )));
        }
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
    fn basic_auth(&self) -> Option<HeaderValue> {
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

/// The opening handshake over an established stream.
async fn handshake(
    mut io: Transport,
    target: &Target,
    options: &ClientOptions,
    headers: &HeaderMap,
    fill_info: impl FnOnce(&mut HandshakeInfo),
) -> Result<(WebSocket, Response<()>), Error> {
    if options.variant == Variant::Hybi00 {
        return handshake_hybi00(io, target, options, headers, fill_info).await;
    }
    let mut nonce = [0u8; 16];
    crate::random::fill(&mut nonce);
    let (request, expected) = ClientRequest::new(target.uri.clone(), nonce)
        .subprotocols(options.subprotocols.iter().cloned())
        .headers(headers.clone())
        .build()?;
    write_request(&mut io, &request, &[]).await?;
    let (response, buf) = read_101(&mut io, options).await?;
    let answer = expected.check_response(&response)?;
    let mut info = HandshakeInfo::from_request(&request);
    info.subprotocol = answer.subprotocol().map(str::to_owned);
    info.set_response_headers(response.headers());
    fill_info(&mut info);
    let ws = WebSocket::from_parts(io, Role::Client, Arc::new(options.config), buf, info);
    Ok((ws, response))
}

/// The hybi-00 opening handshake: keys and key3 out, the 101 head and the 16-byte answer
/// in.
async fn handshake_hybi00(
    mut io: Transport,
    target: &Target,
    options: &ClientOptions,
    headers: &HeaderMap,
    fill_info: impl FnOnce(&mut HandshakeInfo),
) -> Result<(WebSocket, Response<()>), Error> {
    let mut rng = rand::rngs::StdRng::from_seed(crate::random::seed());
    let protocols: Vec<&str> = options.subprotocols.iter().map(String::as_str).collect();
    let origin = headers.get(ORIGIN).and_then(|v| v.to_str().ok());
    let (expected, mut request, key3) =
        hybi00::client_request(&target.uri, &mut rng, &protocols, origin)?;
    for (name, value) in headers {
        if !request.headers().contains_key(name) {
            request.headers_mut().append(name, value.clone());
        }
    }
    write_request(&mut io, &request, &key3).await?;
    let (response, mut buf) = read_101(&mut io, options).await?;
    while buf.len() < hybi00::ANSWER_LEN {
        buf.reserve(hybi00::ANSWER_LEN);
        if io.read_buf(&mut buf).await? == 0 {
            return Err(Error::from(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed before the hybi-00 handshake answer",
            )));
        }
    }
    let mut answer = [0u8; hybi00::ANSWER_LEN];
    answer.copy_from_slice(&buf.split_to(hybi00::ANSWER_LEN));
    let subprotocol = expected.check_response(&response, &answer)?;
    let mut info = HandshakeInfo::from_request(&request);
    info.subprotocol = subprotocol;
    info.set_response_headers(response.headers());
    fill_info(&mut info);
    let core = Connection::hybi00(Role::Client, options.hybi00_framing, options.config.limits);
    let ws = WebSocket::from_core(io, core, Arc::new(options.config), buf, info);
    Ok((ws, response))
}

/// Write the request head, then `body` (hybi-00's key3).
async fn write_request(
    io: &mut Transport,
    request: &http::Request<()>,
    body: &[u8],
) -> Result<(), Error> {
    let target = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
    io.write_all(&http1::request::encode(
        "GET",
        target,
        request.headers(),
        body,
    ))
    .await?;
    Ok(())
}

/// Read the response head; anything but 101 is an error carrying status, headers and the
/// start of the body (not read for a redirect that will be followed). Returns the head
/// and the bytes read past it.
async fn read_101(
    io: &mut Transport,
    options: &ClientOptions,
) -> Result<(Response<()>, BytesMut), Error> {
    let mut buf = BytesMut::with_capacity(1024);
    let (response, head_len) = response::read_head(io, &mut buf, options.max_header_size).await?;
    let _ = buf.split_to(head_len);
    if response.status() != StatusCode::SWITCHING_PROTOCOLS {
        let followed = options.max_redirects > 0
            && is_redirect(response.status())
            && response.headers().contains_key(http::header::LOCATION);
        let body = if followed {
            Bytes::new()
        } else {
            response::read_body_start(io, buf, &response).await
        };
        let (parts, ()) = response.into_parts();
        let status = parts.status;
        return Err(Error::handshake(
            HandshakeError::UnexpectedStatus(status),
            Some(Response::from_parts(parts, body)),
        ));
    }
    Ok((response, buf))
}
