//! Whom the harness trusts over TLS: the system's roots, a bundle the tester
//! chose (a CA, or a self-signed server certificate, which is pinned), or,
//! as a last resort, anything (`--insecure`, said in every report).

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};

use super::ClientError;

/// Whom to trust.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Trust {
    /// The system's roots.
    #[default]
    System,
    /// The system's roots and the certificates of this PEM bundle: as CAs,
    /// and each pinned as it is (a self-signed staging certificate).
    Bundle(std::path::PathBuf),
    /// Any certificate (handshake signatures are still checked).
    Insecure,
}

impl std::fmt::Display for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trust::System => f.write_str("the system's CA roots"),
            Trust::Bundle(p) => write!(
                f,
                "the certificates of {} (CAs, or pinned as they are)",
                p.display()
            ),
            Trust::Insecure => f.write_str("INSECURE: any certificate (--insecure)"),
        }
    }
}

fn provider() -> Arc<CryptoProvider> {
    CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()))
}

/// Checks handshake signatures as any verifier must; decides on the
/// certificate by `accept`.
#[derive(Debug)]
struct Verifier {
    inner: Option<Arc<dyn ServerCertVerifier>>,
    pinned: Vec<CertificateDer<'static>>,
    insecure: bool,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.insecure
            || self
                .pinned
                .iter()
                .any(|p| p.as_ref() == end_entity.as_ref())
        {
            return Ok(ServerCertVerified::assertion());
        }
        match &self.inner {
            Some(inner) => {
                inner.verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
            }
            None => Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn bundle_error(path: &Path, reason: impl Into<String>) -> ClientError {
    ClientError::CaBundle {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

/// The rustls configuration for `trust`, HTTP/1.1 offered by ALPN.
pub fn client_config(trust: &Trust) -> Result<Arc<ClientConfig>, ClientError> {
    let provider = provider();
    let mut config = match trust {
        Trust::System => {
            <ClientConfig as rustls_platform_verifier::ConfigVerifierExt>::with_platform_verifier()
                .map_err(|e| ClientError::Build(format!("the system's TLS roots: {e}")))?
        }
        Trust::Bundle(path) => {
            let pem = std::fs::read(path)
                .map_err(|e| bundle_error(path, crate::wire::signature::io_reason(&e)))?;
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
                .collect::<Result<_, _>>()
                .map_err(|e| bundle_error(path, format!("not a PEM certificate bundle: {e}")))?;
            if certs.is_empty() {
                return Err(bundle_error(path, "no PEM certificate in the file"));
            }
            // The system's roots and the bundle's certificates as CAs; any
            // certificate of the bundle is also pinned as it is.
            let inner: Arc<dyn ServerCertVerifier> = Arc::new(
                rustls_platform_verifier::Verifier::new_with_extra_roots(
                    certs.iter().cloned(),
                    provider.clone(),
                )
                .map_err(|e| bundle_error(path, e.to_string()))?,
            );
            let inner = Some(inner);
            ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .map_err(|e| ClientError::Build(e.to_string()))?
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Verifier {
                    inner,
                    pinned: certs,
                    insecure: false,
                    provider: provider.clone(),
                }))
                .with_no_client_auth()
        }
        Trust::Insecure => ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| ClientError::Build(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Verifier {
                inner: None,
                pinned: vec![],
                insecure: true,
                provider: provider.clone(),
            }))
            .with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// What a TLS failure means to a tester, and what to try.
pub fn explain(error: &rustls::Error, host: &str) -> String {
    use rustls::CertificateError as C;
    let trust = "pass the server's CA, or its self-signed certificate itself (it is then pinned), with --ca-bundle PEM; --insecure trusts anything, as a last resort";
    match error {
        rustls::Error::InvalidCertificate(C::UnknownIssuer | C::BadSignature) => {
            format!("the server's certificate is not signed by a CA this machine trusts: {trust}")
        }
        rustls::Error::InvalidCertificate(C::Other(o))
            if o.to_string().contains("CaUsedAsEndEntity") =>
        {
            format!("the server presents a CA certificate as its own: {trust}")
        }
        rustls::Error::InvalidCertificate(
            C::NotValidForName | C::NotValidForNameContext { .. },
        ) => {
            format!(
                "the server's certificate is not issued for {host}: use the host name it names, or pin it with --ca-bundle"
            )
        }
        rustls::Error::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            "the server's certificate has expired (or this machine's clock is wrong)".to_owned()
        }
        rustls::Error::InvalidCertificate(C::NotValidYet | C::NotValidYetContext { .. }) => {
            "the server's certificate is not valid yet (or this machine's clock is wrong)"
                .to_owned()
        }
        other => format!("{other}: {trust}"),
    }
}
