//! TLS configuration from PEM files: the service's `rustls::ServerConfig` (certificate chain,
//! private key, optional client-certificate verification against a CA), the clients'
//! `rustls::ClientConfig`, and the names in a client certificate that identities are mapped
//! from. Always the ring provider, passed explicitly. This must not decide what a certificate's
//! names are allowed to do, nor listen or connect.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, RootCertStore, ServerConfig};

/// Why a TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}; check the path and that the service may read it")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid PEM ({reason}); give a PEM file (BEGIN/END blocks)")]
    BadPem { path: PathBuf, reason: String },
    #[error("no certificate found in {path}; give a PEM file with BEGIN CERTIFICATE blocks")]
    NoCertificate { path: PathBuf },
    #[error("no private key found in {path} (PKCS#8, PKCS#1 or SEC1 PEM expected)")]
    NoKey { path: PathBuf },
    #[error(
        "the private key in {path} cannot be used: {reason}; give an RSA, ECDSA or Ed25519 key"
    )]
    BadKey { path: PathBuf, reason: String },
    #[error("the certificate in {path} cannot be used: {reason}; give a valid X.509 certificate")]
    BadCertificate { path: PathBuf, reason: String },
    #[error("the key does not match the certificate: {key} is not the key of the first certificate in {cert}; give the key that belongs to the certificate (the server's own certificate must come first)")]
    KeyMismatch { cert: PathBuf, key: PathBuf },
    #[error("no usable CA certificate in {path}: {reason}; give PEM CA certificates")]
    BadCa { path: PathBuf, reason: String },
    #[error("no trusted root certificates in the system store ({reason}); install the ca-certificates package or give a CA file")]
    NoSystemRoots { reason: String },
    #[error("cannot build the TLS configuration: {0}")]
    Config(String),
}

/// The provider every configuration here uses.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn bad_pem(path: &Path, e: pem::Error) -> TlsError {
    TlsError::BadPem {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// The certificates in a PEM file, in order; an error when there are none.
fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read(path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad_pem(path, e))?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

/// The first private key in a PEM file.
fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = read(path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
        pem::Error::NoItemsFound => TlsError::NoKey {
            path: path.to_path_buf(),
        },
        e => bad_pem(path, e),
    })
}

/// Loads a certificate chain and its key, checking that they belong together.
fn certified_key(
    provider: &CryptoProvider,
    cert_path: &Path,
    key_path: &Path,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsError> {
    let chain = certificates(cert_path)?;
    let key = private_key(key_path)?;
    let signing = provider
        .key_provider
        .load_private_key(key.clone_key())
        .map_err(|e| TlsError::BadKey {
            path: key_path.to_path_buf(),
            reason: e.to_string(),
        })?;
    match CertifiedKey::new(chain.clone(), signing).keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {}
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
            return Err(TlsError::KeyMismatch {
                cert: cert_path.to_path_buf(),
                key: key_path.to_path_buf(),
            })
        }
        Err(e) => {
            return Err(TlsError::BadCertificate {
                path: cert_path.to_path_buf(),
                reason: e.to_string(),
            })
        }
    }
    Ok((chain, key))
}

fn roots_from(path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in certificates(path)? {
        roots.add(cert).map_err(|e| TlsError::BadCa {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    }
    Ok(roots)
}

/// The service's TLS configuration: `cert_chain` (PEM, the server's certificate first) and its
/// `key` (PEM PKCS#8, PKCS#1 or SEC1), ALPN `http/1.1`. With `client_ca`, clients may present
/// a certificate, which must then chain to it; clients without one are still accepted (they
/// authenticate with a bearer token). Without it, no client certificates are asked for.
pub fn server_config(
    cert_chain: &Path,
    key: &Path,
    client_ca: Option<&Path>,
) -> Result<ServerConfig, TlsError> {
    let provider = provider();
    let (chain, key_der) = certified_key(&provider, cert_chain, key)?;
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?;
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots_from(ca)?), provider)
                    .allow_unauthenticated()
                    .build()
                    .map_err(|e| TlsError::BadCa {
                        path: ca.to_path_buf(),
                        reason: e.to_string(),
                    })?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder
        .with_single_cert(chain, key_der)
        .map_err(|e| TlsError::BadKey {
            path: key.to_path_buf(),
            reason: e.to_string(),
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// A client's TLS configuration: trusted roots from `ca_file` (PEM), or else the system's
/// store; with `client_cert` (certificate chain file, key file), that certificate is presented
/// when the service asks for one. ALPN `http/1.1`.
pub fn client_config(
    ca_file: Option<&Path>,
    client_cert: Option<(&Path, &Path)>,
) -> Result<ClientConfig, TlsError> {
    let provider = provider();
    let roots = match ca_file {
        Some(path) => roots_from(path)?,
        None => system_roots()?,
    };
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_root_certificates(roots);
    let mut config = match client_cert {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let (chain, key_der) = certified_key(&provider, cert, key)?;
            builder
                .with_client_auth_cert(chain, key_der)
                .map_err(|e| TlsError::BadKey {
                    path: key.to_path_buf(),
                    reason: e.to_string(),
                })?
        }
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn system_roots() -> Result<RootCertStore, TlsError> {
    let loaded = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(loaded.certs);
    if roots.is_empty() {
        let reason = match loaded.errors.first() {
            Some(e) => e.to_string(),
            None => "none found".to_string(),
        };
        return Err(TlsError::NoSystemRoots { reason });
    }
    Ok(roots)
}

/// The names a client certificate (DER) may be mapped from: subject Common Names, then DNS and
/// email subject-alternative names, in that order and without duplicates. Empty when the
/// certificate cannot be parsed.
pub fn peer_identity_names(cert_der: &[u8]) -> Vec<String> {
    use x509_parser::extensions::GeneralName;
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(cert_der) else {
        return Vec::new();
    };
    let mut names: Vec<String> = Vec::new();
    let mut add = |name: &str| {
        if !name.is_empty() && !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    };
    for cn in cert.subject().iter_common_name() {
        if let Ok(text) = cn.as_str() {
            add(text);
        }
    }
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(n) | GeneralName::RFC822Name(n) => add(n),
                _ => {}
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        SanType,
    };
    use rustls::{ClientConnection, ServerConnection};
    use std::fs;

    struct Pki {
        dir: tempfile::TempDir,
    }

    impl Pki {
        fn path(&self, name: &str) -> PathBuf {
            self.dir.path().join(name)
        }
    }

    /// A CA, a server certificate for localhost and a client certificate for "etl-host", all
    /// written as PEM files (ca.pem, server.pem, server.key, client.pem, client.key), plus a
    /// second, unrelated CA (other-ca.pem) with its key (other.key).
    fn pki() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: String| fs::write(dir.path().join(name), text).unwrap();

        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "ssisd test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        write("ca.pem", ca.pem());

        let server_key = KeyPair::generate().unwrap();
        let server_params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        let server = server_params.signed_by(&server_key, &ca, &ca_key).unwrap();
        write("server.pem", server.pem() + &ca.pem());
        write("server.key", server_key.serialize_pem());

        let client_key = KeyPair::generate().unwrap();
        let mut client_params =
            CertificateParams::new(vec!["etl-host.example.com".to_string()]).unwrap();
        client_params
            .distinguished_name
            .push(DnType::CommonName, "etl-host");
        client_params
            .subject_alt_names
            .push(SanType::Rfc822Name("etl@example.com".try_into().unwrap()));
        client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client = client_params.signed_by(&client_key, &ca, &ca_key).unwrap();
        write("client.pem", client.pem());
        write("client.key", client_key.serialize_pem());

        let other_key = KeyPair::generate().unwrap();
        let mut other_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        other_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let other = other_params.self_signed(&other_key).unwrap();
        write("other-ca.pem", other.pem());
        write("other.key", other_key.serialize_pem());
        Pki { dir }
    }

    /// Runs a handshake in memory; returns the server connection when it completes.
    fn handshake(
        server: ServerConfig,
        client: ClientConfig,
    ) -> Result<ServerConnection, rustls::Error> {
        let mut s = ServerConnection::new(Arc::new(server))?;
        let mut c = ClientConnection::new(Arc::new(client), "localhost".try_into().unwrap())?;
        for _ in 0..20 {
            let mut buf = Vec::new();
            while c.wants_write() {
                c.write_tls(&mut buf).unwrap();
            }
            if !buf.is_empty() {
                s.read_tls(&mut buf.as_slice()).unwrap();
                s.process_new_packets()?;
            }
            let mut buf = Vec::new();
            while s.wants_write() {
                s.write_tls(&mut buf).unwrap();
            }
            if !buf.is_empty() {
                c.read_tls(&mut buf.as_slice()).unwrap();
                c.process_new_packets()?;
            }
            if !s.is_handshaking() && !c.is_handshaking() {
                return Ok(s);
            }
        }
        panic!("handshake did not finish");
    }

    #[test]
    fn client_certificates_are_optional_and_verified() {
        let pki = pki();
        let server = || {
            server_config(
                &pki.path("server.pem"),
                &pki.path("server.key"),
                Some(&pki.path("ca.pem")),
            )
            .unwrap()
        };
        assert_eq!(server().alpn_protocols, vec![b"http/1.1".to_vec()]);

        // With a client certificate: verified, and its names are available.
        let client = client_config(
            Some(&pki.path("ca.pem")),
            Some((&pki.path("client.pem"), &pki.path("client.key"))),
        )
        .unwrap();
        let conn = handshake(server(), client).unwrap();
        assert_eq!(conn.alpn_protocol(), Some(&b"http/1.1"[..]));
        let certs = conn.peer_certificates().expect("client certificate");
        let names = peer_identity_names(&certs[0]);
        assert_eq!(
            names,
            vec!["etl-host", "etl-host.example.com", "etl@example.com"]
        );

        // Without one: accepted, no peer certificate.
        let client = client_config(Some(&pki.path("ca.pem")), None).unwrap();
        let conn = handshake(server(), client).unwrap();
        assert!(conn.peer_certificates().is_none());

        // A certificate from another CA is refused.
        fs::write(
            pki.path("self.pem"),
            fs::read_to_string(pki.path("other-ca.pem")).unwrap(),
        )
        .unwrap();
        let client = client_config(
            Some(&pki.path("ca.pem")),
            Some((&pki.path("self.pem"), &pki.path("other.key"))),
        )
        .unwrap();
        assert!(handshake(server(), client).is_err());

        // Without a client CA, no certificate is asked for.
        let plain = server_config(&pki.path("server.pem"), &pki.path("server.key"), None).unwrap();
        let client = client_config(
            Some(&pki.path("ca.pem")),
            Some((&pki.path("client.pem"), &pki.path("client.key"))),
        )
        .unwrap();
        let conn = handshake(plain, client).unwrap();
        assert!(conn.peer_certificates().is_none());

        // A client trusting another CA refuses the server.
        let client = client_config(Some(&pki.path("other-ca.pem")), None).unwrap();
        assert!(handshake(server(), client).is_err());
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let pki = pki();
        let msg = |r: Result<ServerConfig, TlsError>| r.unwrap_err().to_string();
        fs::write(pki.path("empty.pem"), "").unwrap();
        fs::write(
            pki.path("garbage.pem"),
            "-----BEGIN CERTIFICATE-----\n@@@\n",
        )
        .unwrap();

        let e = msg(server_config(
            &pki.path("missing.pem"),
            &pki.path("server.key"),
            None,
        ));
        assert!(
            e.starts_with("cannot read ") && e.contains("missing.pem"),
            "{e}"
        );

        let e = msg(server_config(
            &pki.path("empty.pem"),
            &pki.path("server.key"),
            None,
        ));
        assert!(
            e.starts_with("no certificate found in ") && e.contains("empty.pem"),
            "{e}"
        );

        // A key file holding only a certificate has no key.
        let e = msg(server_config(
            &pki.path("server.pem"),
            &pki.path("client.pem"),
            None,
        ));
        assert_eq!(
            e,
            format!(
                "no private key found in {} (PKCS#8, PKCS#1 or SEC1 PEM expected)",
                pki.path("client.pem").display()
            )
        );

        let e = msg(server_config(
            &pki.path("server.pem"),
            &pki.path("client.key"),
            None,
        ));
        assert!(
            e.starts_with("the key does not match the certificate"),
            "{e}"
        );
        assert!(e.contains("client.key") && e.contains("server.pem"), "{e}");

        let e = msg(server_config(
            &pki.path("garbage.pem"),
            &pki.path("server.key"),
            None,
        ));
        assert!(
            e.contains("garbage.pem") && e.contains("not valid PEM"),
            "{e}"
        );

        let e = msg(server_config(
            &pki.path("server.pem"),
            &pki.path("server.key"),
            Some(&pki.path("empty.pem")),
        ));
        assert!(
            e.starts_with("no certificate found in ") && e.contains("empty.pem"),
            "{e}"
        );

        let e = client_config(Some(&pki.path("nope.pem")), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("nope.pem"), "{e}");
    }

    #[test]
    fn names_of_unparsable_certificates_are_empty() {
        assert!(peer_identity_names(b"not a certificate").is_empty());
    }
}
