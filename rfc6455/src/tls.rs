//! TLS (`wss://`) with rustls, on both sides: [`ServerTls`] for a server,
//! [`TrustRoots`] and the TLS options of [`ClientOptions`](crate::ClientOptions) for a
//! client.
//!
//! Only with the `tls` feature (on by default). The crypto provider is rustls' `ring`
//! unless the program installed a process-wide default
//! ([`CryptoProvider::install_default`](rustls::crypto::CryptoProvider::install_default)),
//! which is then used instead.
//!
//! # A server
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use rfc6455::tls::ServerTls;
//! use rfc6455::{ServerOptions, serve};
//!
//! let tls = ServerTls::from_pem_files("cert.pem", "key.pem")?;
//! let server = serve(ServerOptions::default().port(8443).tls(tls), |mut ws| async move {
//!     let _ = ws.send_text("hello over wss://").await;
//! })
//! .await?;
//! # server.stop().await; Ok(()) }
//! ```
//!
//! # A client
//!
//! `wss://` URLs are verified against the Mozilla root set by default; SNI and the
//! certificate's name check are always on.
//!
//! ```no_run
//! # async fn demo() -> Result<(), rfc6455::Error> {
//! use rfc6455::ClientOptions;
//! use rfc6455::tls::TrustRoots;
//!
//! // A server whose certificate comes from a private CA:
//! let options = ClientOptions::default().ca_pem_file("ca.pem")?;
//! let (ws, _) = rfc6455::connect_with("wss://localhost:8443/", options).await?;
//! // The operating system's roots instead of the Mozilla set:
//! let options = ClientOptions::default().trust_roots(TrustRoots::Platform);
//! # let _ = (ws, options); Ok(()) }
//! ```

use std::fmt;
use std::io;
use std::path::Path;
use std::sync::{Arc, OnceLock};

pub use rustls;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};

use crate::error::Error;

/// ALPN: WebSockets (and the fallback HTTP service) speak HTTP/1.1.
const ALPN_HTTP11: &[u8] = b"http/1.1";
/// HTTP/2 over TLS (RFC 9113 §3.2).
pub(crate) const ALPN_H2: &[u8] = b"h2";

/// The crypto provider: the process default if the program installed one, else `ring`.
fn provider() -> Arc<CryptoProvider> {
    CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()))
}

fn invalid_data(why: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why)
}

/// Read every certificate of a PEM file (`-----BEGIN CERTIFICATE-----` sections).
fn certificates_from_pem_file(path: &Path) -> io::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| pem_error(e, &path.display().to_string()))?;
    if certs.is_empty() {
        return Err(invalid_data(format!(
            "{}: no PEM certificate found",
            path.display()
        )));
    }
    Ok(certs)
}

/// Read every certificate of PEM text.
fn certificates_from_pem(pem: &[u8]) -> io::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(e, "PEM text"))?;
    if certs.is_empty() {
        return Err(invalid_data("no PEM certificate found".to_owned()));
    }
    Ok(certs)
}

fn pem_error(e: rustls::pki_types::pem::Error, what: &str) -> io::Error {
    match e {
        rustls::pki_types::pem::Error::Io(e) => io::Error::new(e.kind(), format!("{what}: {e}")),
        e => invalid_data(format!("{what}: {e}")),
    }
}

// ----------------------------------------------------------------------------- server

/// The TLS side of a server: its certificate chain and private key, or a whole
/// [`rustls::ServerConfig`]. Give it to [`ServerOptions::tls`](crate::ServerOptions::tls)
/// and the server speaks `wss://` (and `https://` for its fallback service) on its port.
///
/// A configuration built here offers TLS 1.2 and 1.3, no client certificates, and ALPN
/// `h2` then `http/1.1`: a client that picks `h2` speaks HTTP/2 and opens its WebSockets
/// as streams (RFC 8441). Build your own [`rustls::ServerConfig`] for anything else
/// (client certificates, several names via a certificate resolver, session tickets, no
/// HTTP/2) and pass it to [`from_config`](Self::from_config); keep its ALPN list empty or
/// include `http/1.1` (and `h2` for HTTP/2).
///
/// ```no_run
/// # fn demo() -> std::io::Result<()> {
/// let tls = rfc6455::tls::ServerTls::from_pem_files("fullchain.pem", "privkey.pem")?;
/// let options = rfc6455::ServerOptions::default().port(443).tls(tls);
/// # let _ = options; Ok(()) }
/// ```
#[derive(Clone)]
pub struct ServerTls {
    config: Arc<ServerConfig>,
}

impl fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerTls")
            .field("alpn_protocols", &self.config.alpn_protocols)
            .finish_non_exhaustive()
    }
}

impl ServerTls {
    /// Read the certificate chain (PEM, the server's certificate first, then its
    /// intermediates) and the private key (PEM: PKCS#8, PKCS#1 or SEC1) from files.
    ///
    /// # Errors
    /// An I/O error when a file cannot be read; [`io::ErrorKind::InvalidData`] when a file
    /// holds no certificate or key, or the key does not fit the certificate.
    ///
    /// ```no_run
    /// # fn demo() -> std::io::Result<()> {
    /// let tls = rfc6455::tls::ServerTls::from_pem_files("cert.pem", "key.pem")?;
    /// # let _ = tls; Ok(()) }
    /// ```
    pub fn from_pem_files(
        cert_chain: impl AsRef<Path>,
        private_key: impl AsRef<Path>,
    ) -> io::Result<Self> {
        let certs = certificates_from_pem_file(cert_chain.as_ref())?;
        let path = private_key.as_ref();
        let key = PrivateKeyDer::from_pem_file(path)
            .map_err(|e| pem_error(e, &path.display().to_string()))?;
        Self::from_der(certs, key)
    }

    /// The same as [`from_pem_files`](Self::from_pem_files), from PEM text in memory.
    ///
    /// # Errors
    /// [`io::ErrorKind::InvalidData`] when the text holds no certificate or key, or the key
    /// does not fit the certificate.
    ///
    /// ```no_run
    /// # fn demo() -> std::io::Result<()> {
    /// let cert = std::fs::read("cert.pem")?;
    /// let key = std::fs::read("key.pem")?;
    /// let tls = rfc6455::tls::ServerTls::from_pem(&cert, &key)?;
    /// # let _ = tls; Ok(()) }
    /// ```
    pub fn from_pem(cert_chain: &[u8], private_key: &[u8]) -> io::Result<Self> {
        let certs = certificates_from_pem(cert_chain)?;
        let key =
            PrivateKeyDer::from_pem_slice(private_key).map_err(|e| pem_error(e, "private key"))?;
        Self::from_der(certs, key)
    }

    fn from_der(
        certs: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> io::Result<Self> {
        let mut config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| invalid_data(format!("certificate and key: {e}")))?;
        config.alpn_protocols = vec![ALPN_H2.to_vec(), ALPN_HTTP11.to_vec()];
        Ok(Self {
            config: Arc::new(config),
        })
    }

    /// Use a configuration built with rustls directly.
    ///
    /// ```no_run
    /// # fn demo(config: rfc6455::tls::rustls::ServerConfig) {
    /// use std::sync::Arc;
    /// let tls = rfc6455::tls::ServerTls::from_config(Arc::new(config));
    /// # let _ = tls; }
    /// ```
    pub fn from_config(config: Arc<ServerConfig>) -> Self {
        Self { config }
    }

    /// The rustls configuration in use.
    ///
    /// ```no_run
    /// # fn demo() -> std::io::Result<()> {
    /// let tls = rfc6455::tls::ServerTls::from_pem_files("cert.pem", "key.pem")?;
    /// assert_eq!(tls.config().alpn_protocols, [b"h2".to_vec(), b"http/1.1".to_vec()]);
    /// # Ok(()) }
    /// ```
    pub fn config(&self) -> &Arc<ServerConfig> {
        &self.config
    }

    pub(crate) fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(self.config.clone())
    }
}

impl From<Arc<ServerConfig>> for ServerTls {
    fn from(config: Arc<ServerConfig>) -> Self {
        Self::from_config(config)
    }
}

// ----------------------------------------------------------------------------- client

/// Which root certificates a client trusts for `wss://`, besides the CA certificates
/// added with [`ClientOptions::ca_pem_file`](crate::ClientOptions::ca_pem_file) and
/// friends. Default [`Mozilla`](Self::Mozilla).
///
/// ```
/// use rfc6455::tls::TrustRoots;
/// let options = rfc6455::ClientOptions::default().trust_roots(TrustRoots::Platform);
/// assert_eq!(TrustRoots::default(), TrustRoots::Mozilla);
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrustRoots {
    /// The Mozilla root set compiled in (webpki-roots): the same on every machine.
    #[default]
    Mozilla,
    /// The operating system's roots (rustls-native-certs: on Linux the distribution's
    /// bundle, `SSL_CERT_FILE`/`SSL_CERT_DIR` honoured), read once per process.
    Platform,
    /// Both sets.
    MozillaAndPlatform,
    /// None: only the CA certificates added to the options.
    AddedOnly,
}

/// The client's TLS settings, part of [`ClientOptions`](crate::ClientOptions).
#[derive(Clone, Default)]
pub(crate) struct ClientTls {
    /// A configuration given whole; the other fields are then unused.
    pub(crate) config: Option<Arc<ClientConfig>>,
    pub(crate) roots: TrustRoots,
    pub(crate) extra: Vec<CertificateDer<'static>>,
    pub(crate) danger_accept_invalid_certificates: bool,
}

impl fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientTls")
            .field("custom_config", &self.config.is_some())
            .field("roots", &self.roots)
            .field("extra_ca_certificates", &self.extra.len())
            .field(
                "danger_accept_invalid_certificates",
                &self.danger_accept_invalid_certificates,
            )
            .finish()
    }
}

impl ClientTls {
    pub(crate) fn add_pem_file(&mut self, path: &Path) -> io::Result<()> {
        self.extra.extend(certificates_from_pem_file(path)?);
        Ok(())
    }

    pub(crate) fn add_pem(&mut self, pem: &[u8]) -> io::Result<()> {
        self.extra.extend(certificates_from_pem(pem)?);
        Ok(())
    }

    /// The configuration to connect with.
    fn client_config(&self) -> Result<Arc<ClientConfig>, Error> {
        if let Some(config) = &self.config {
            return Ok(config.clone());
        }
        let default_case = self.roots == TrustRoots::Mozilla
            && self.extra.is_empty()
            && !self.danger_accept_invalid_certificates;
        if default_case {
            // The common case, built once per process.
            static DEFAULT: OnceLock<Arc<ClientConfig>> = OnceLock::new();
            if let Some(config) = DEFAULT.get() {
                return Ok(config.clone());
            }
            let config = self.build()?;
            return Ok(DEFAULT.get_or_init(|| config).clone());
        }
        self.build()
    }

    fn build(&self) -> Result<Arc<ClientConfig>, Error> {
        let provider = provider();
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::tls("configuration", io::Error::other(e)))?;
        let mut config = if self.danger_accept_invalid_certificates {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
                .with_no_client_auth()
        } else {
            builder
                .with_root_certificates(self.root_store()?)
                .with_no_client_auth()
        };
        config.alpn_protocols = vec![ALPN_HTTP11.to_vec()];
        Ok(Arc::new(config))
    }

    fn root_store(&self) -> Result<RootCertStore, Error> {
        let mut roots = RootCertStore::empty();
        if matches!(
            self.roots,
            TrustRoots::Mozilla | TrustRoots::MozillaAndPlatform
        ) {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        if matches!(
            self.roots,
            TrustRoots::Platform | TrustRoots::MozillaAndPlatform
        ) {
            let platform = platform_roots().as_ref().map_err(|why| {
                Error::tls("platform root certificates", io::Error::other(why.clone()))
            })?;
            roots.add_parsable_certificates(platform.iter().cloned());
        }
        for cert in &self.extra {
            roots.add(cert.clone()).map_err(|e| {
                Error::tls(
                    "added CA certificate",
                    invalid_data(format!("not usable as a trust anchor: {e}")),
                )
            })?;
        }
        if roots.is_empty() {
            return Err(Error::tls(
                "configuration",
                io::Error::other(
                    "no root certificate to trust (TrustRoots::AddedOnly and no CA certificate added)",
                ),
            ));
        }
        Ok(roots)
    }

    /// A digest of these settings: HTTP/2 connections made with equal settings are shared.
    pub(crate) fn digest(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.config.as_ref().map(Arc::as_ptr).hash(&mut hasher);
        self.roots.hash(&mut hasher);
        for cert in &self.extra {
            cert.as_ref().hash(&mut hasher);
        }
        self.danger_accept_invalid_certificates.hash(&mut hasher);
        hasher.finish()
    }

    /// TLS over `tcp` to `host` (a DNS name or an IP address, no brackets): SNI and name
    /// check on `host`.
    pub(crate) async fn connect(
        &self,
        host: &str,
        tcp: tokio::net::TcpStream,
    ) -> Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>, Error> {
        self.connect_offering(host, tcp, false).await
    }

    /// [`connect`](Self::connect), offering `h2` before `http/1.1` by ALPN when `h2` is
    /// set (the server's choice: `alpn_protocol()` of the stream).
    pub(crate) async fn connect_offering(
        &self,
        host: &str,
        tcp: tokio::net::TcpStream,
        h2: bool,
    ) -> Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>, Error> {
        let mut config = self.client_config()?;
        if h2 {
            let mut with_h2 = (*config).clone();
            with_h2.alpn_protocols = vec![ALPN_H2.to_vec(), ALPN_HTTP11.to_vec()];
            config = Arc::new(with_h2);
        }
        let name = ServerName::try_from(host.to_owned()).map_err(|e| {
            Error::tls(
                format!("handshake with {host}"),
                io::Error::new(io::ErrorKind::InvalidInput, e),
            )
        })?;
        tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| Error::tls(format!("handshake with {host}"), e))
    }
}

/// The platform's roots, loaded once per process.
fn platform_roots() -> &'static Result<Vec<CertificateDer<'static>>, String> {
    static ROOTS: OnceLock<Result<Vec<CertificateDer<'static>>, String>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let found = rustls_native_certs::load_native_certs();
        for e in &found.errors {
            tracing::debug!("platform root certificates: {e}");
        }
        if found.certs.is_empty() {
            let why = found
                .errors
                .first()
                .map_or_else(|| "none found".to_owned(), ToString::to_string);
            return Err(format!(
                "cannot load the platform's root certificates: {why}"
            ));
        }
        Ok(found.certs)
    })
}

/// The verifier of `danger_accept_invalid_certificates`: any certificate for any name,
/// handshake signatures still checked (so the peer holds the key of the certificate it
/// sent, whatever that is).
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_without_certificates_is_refused() {
        let err = certificates_from_pem(b"not a pem file").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("no PEM certificate"), "{err}");
    }

    #[test]
    fn added_only_without_certificates_is_an_error() {
        let tls = ClientTls {
            roots: TrustRoots::AddedOnly,
            ..ClientTls::default()
        };
        let err = tls.client_config().unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Tls);
    }

    #[test]
    fn default_config_is_shared() {
        let tls = ClientTls::default();
        let a = tls.client_config().unwrap();
        let b = tls.client_config().unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(a.alpn_protocols, [b"http/1.1".to_vec()]);
    }
}
