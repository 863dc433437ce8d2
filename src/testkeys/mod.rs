//! The built-in test credentials' RSA keys. **Public test keys**: they are
//! in the source, so never use them for anything real.
//!
//! The simulator verifies with [`PARTNER_PUBLIC_KEY_PEM`] when no
//! `--public-key` is given, and the server suite signs with
//! [`PARTNER_PRIVATE_KEY_PEM`] against it. [`OTHER_PRIVATE_KEY_PEM`] signs the
//! "another key" fault. `tests/fixtures/make-fixtures.sh` derives the other key
//! forms and the openssl signature vectors from these files.

/// The test partner's private key, PEM PKCS#8.
pub const PARTNER_PRIVATE_KEY_PEM: &str = include_str!("partner-private.pem");
/// The test partner's public key, PEM SPKI.
pub const PARTNER_PUBLIC_KEY_PEM: &str = include_str!("partner-public.pem");
/// A second private key, PEM PKCS#8: a signature by it must be refused.
pub const OTHER_PRIVATE_KEY_PEM: &str = include_str!("other-private.pem");
/// The second key's public half, PEM SPKI.
pub const OTHER_PUBLIC_KEY_PEM: &str = include_str!("other-public.pem");

/// Whether `key` is one of the test key pairs whose private half ships
/// with the project: signatures it verifies prove nothing about who signed.
pub fn is_published(key: &crate::wire::VerifyingKey) -> bool {
    let fingerprint = key.fingerprint();
    [PARTNER_PUBLIC_KEY_PEM, OTHER_PUBLIC_KEY_PEM]
        .iter()
        .filter_map(|pem| crate::wire::VerifyingKey::from_pem_or_base64(pem).ok())
        .any(|k| k.fingerprint() == fingerprint)
}
