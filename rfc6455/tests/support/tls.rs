//! Certificates made at test time with rcgen: a CA, and server certificates it signs,
//! written to a fresh folder for the APIs and peers that read files.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rfc6455::ClientOptions;
use rfc6455::tls::ServerTls;

/// A test CA and the files of one server certificate it signed.
pub(crate) struct Pki {
    ca: CertifiedIssuer<'static, KeyPair>,
    /// The CA certificate, PEM.
    pub(crate) ca_pem: String,
    /// The server certificate, PEM.
    pub(crate) cert_pem: String,
    /// The server certificate's private key, PEM.
    pub(crate) key_pem: String,
    /// A folder holding `ca.pem`, `cert.pem` and `key.pem`.
    pub(crate) dir: PathBuf,
}

impl Pki {
    /// A CA, and a server certificate for `localhost`, `127.0.0.1` and `::1`.
    pub(crate) fn new() -> Self {
        Self::for_names(&["localhost", "127.0.0.1", "::1"])
    }

    /// A CA, and a server certificate for `names` (DNS names or IP addresses).
    pub(crate) fn for_names(names: &[&str]) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "rfc6455 test CA");
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().expect("CA key"))
            .expect("CA certificate");
        let ca_pem = ca.pem();
        let (cert_pem, key_pem) = issue(&ca, names);
        let dir = fresh_dir();
        std::fs::write(dir.join("ca.pem"), &ca_pem).unwrap();
        std::fs::write(dir.join("cert.pem"), &cert_pem).unwrap();
        std::fs::write(dir.join("key.pem"), &key_pem).unwrap();
        Self {
            ca,
            ca_pem,
            cert_pem,
            key_pem,
            dir,
        }
    }

    /// Another server certificate from the same CA: (certificate PEM, key PEM).
    pub(crate) fn issue(&self, names: &[&str]) -> (String, String) {
        issue(&self.ca, names)
    }

    pub(crate) fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    pub(crate) fn cert_file(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    pub(crate) fn key_file(&self) -> PathBuf {
        self.dir.join("key.pem")
    }

    /// The server side, from the PEM files.
    pub(crate) fn server_tls(&self) -> ServerTls {
        ServerTls::from_pem_files(self.cert_file(), self.key_file()).expect("server TLS")
    }

    /// Client options that trust this CA.
    pub(crate) fn client(&self) -> ClientOptions {
        ClientOptions::default()
            .ca_pem(self.ca_pem.as_bytes())
            .expect("CA PEM")
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn issue(ca: &CertifiedIssuer<'static, KeyPair>, names: &[&str]) -> (String, String) {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let mut params = CertificateParams::new(names).expect("server params");
    params
        .distinguished_name
        .push(DnType::CommonName, "rfc6455 test server");
    let key = KeyPair::generate().expect("server key");
    let cert = params.signed_by(&key, ca).expect("server certificate");
    (cert.pem(), key.serialize_pem())
}

/// A new empty folder under the system's temporary folder.
fn fresh_dir() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "rfc6455-tls-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary folder");
    dir
}
