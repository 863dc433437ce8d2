//! `X-SIGNATURE`: SHA256withRSA over `CLIENT_KEY|X-TIMESTAMP`.
//!
//! RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2), the signature in standard
//! padded base64 (RFC 4648 §4). The signed text is the client key, a `|`, and
//! the timestamp exactly as sent in the header, as UTF-8.
//!
//! Keys are read in the three forms PayCools' partners hold them: PEM PKCS#8
//! (`BEGIN PRIVATE KEY`), PEM PKCS#1 (`BEGIN RSA PRIVATE KEY`) and bare base64
//! DER without header lines, the form PayCools' dashboard takes. Public keys
//! likewise: PEM SPKI, PEM PKCS#1, bare base64 DER.
//!
//! ```
//! use cdm_conformance::{Contract, wire::SigningKey};
//!
//! let key = SigningKey::from_pem_or_base64(cdm_conformance::TEST_PRIVATE_KEY_PEM).unwrap();
//! let text = Contract::embedded().signing_text("3a34d6a9debb4246931f3941c471dd3b", "2023-09-25T17:57:35+07:00");
//! assert_eq!(text, "3a34d6a9debb4246931f3941c471dd3b|2023-09-25T17:57:35+07:00");
//! let signature = key.sign(&text);
//! assert!(key.verifying_key().verify(&text, &signature).is_ok());
//! assert!(key.verifying_key().verify("another text", &signature).is_err());
//! ```

use std::fmt;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::traits::PublicKeyParts;
use rsa::{PrivateKey, PublicKey, pkcs1v15};
use sha2::Sha256;

use crate::redact;

/// Which kind of key a function wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// An RSA private key.
    Private,
    /// An RSA public key.
    Public,
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyKind::Private => "a private key (PEM PKCS#8, PEM PKCS#1 or base64 DER)",
            KeyKind::Public => "a public key (PEM SPKI, PEM PKCS#1 or base64 DER)",
        })
    }
}

/// Why a key could not be read. Never carries the key material itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The file could not be read.
    #[error("cannot read key file {path}: {reason}")]
    Read {
        /// The path.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// The other kind of key was given.
    #[error("expected {expected}, found {found}")]
    WrongKind {
        /// What was wanted.
        expected: KeyKind,
        /// What was found, e.g. `a public key (PEM "PUBLIC KEY")`.
        found: String,
    },
    /// A PEM block of a kind the harness does not read.
    #[error("expected {expected}, found a PEM {label:?} block")]
    UnsupportedPem {
        /// What was wanted.
        expected: KeyKind,
        /// The PEM label.
        label: String,
    },
    /// An encrypted private key.
    #[error(
        "expected an unencrypted private key, found an encrypted one (decrypt it with `openssl pkcs8 -in KEY -out private.pem`)"
    )]
    Encrypted,
    /// A recognised form whose content does not decode.
    #[error("expected {expected}, found a malformed {form}: {reason}")]
    Malformed {
        /// What was wanted.
        expected: KeyKind,
        /// The form, e.g. `PEM PKCS#8 key`.
        form: &'static str,
        /// The decoder's reason.
        reason: String,
    },
    /// Neither PEM nor base64.
    #[error("expected {expected}, found text that is neither PEM nor base64 DER")]
    NotAKey {
        /// What was wanted.
        expected: KeyKind,
    },
}

/// Why a signature does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The header is not standard padded base64.
    #[error("signature {actual:?} is not standard padded base64: {reason}")]
    NotBase64 {
        /// The value, shortened.
        actual: String,
        /// Where decoding failed.
        reason: String,
    },
    /// The decoded signature has the wrong length for the key.
    #[error(
        "the signature decodes to {actual} bytes, but a signature by a {bits}-bit key has {expected}"
    )]
    Length {
        /// The key's modulus size in bytes.
        expected: usize,
        /// The decoded length.
        actual: usize,
        /// The key size in bits.
        bits: usize,
    },
    /// The signature is not the key's SHA256withRSA signature of the text.
    #[error(
        "the signature is not a SHA256withRSA signature of {text:?} by the partner's key (wrong key, or another text was signed)"
    )]
    Mismatch {
        /// The exact text that was verified.
        text: String,
    },
}

enum Decoded {
    Pem { label: String, der: Vec<u8> },
    Der(Vec<u8>),
}

fn decode(text: &[u8], expected: KeyKind) -> Result<Decoded, KeyError> {
    let Ok(s) = std::str::from_utf8(text) else {
        // Binary: take it as DER as it is.
        return Ok(Decoded::Der(text.to_vec()));
    };
    let s = s.trim();
    if s.starts_with("-----BEGIN ") {
        let (label, der) =
            pem_rfc7468::decode_vec(s.as_bytes()).map_err(|e| KeyError::Malformed {
                expected,
                form: "PEM block",
                reason: e.to_string(),
            })?;
        return Ok(Decoded::Pem {
            label: label.to_owned(),
            der,
        });
    }
    let compact: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    match STANDARD.decode(&compact) {
        Ok(der) if !der.is_empty() => Ok(Decoded::Der(der)),
        _ => Err(KeyError::NotAKey { expected }),
    }
}

/// A partner's private key, ready to sign. Its `Debug` shows no key material.
#[derive(Clone)]
pub struct SigningKey {
    inner: pkcs1v15::SigningKey<Sha256>,
    bits: usize,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey(RSA-{}, redacted)", self.bits)
    }
}

impl SigningKey {
    /// Reads a private key from PEM (PKCS#8 or PKCS#1), bare base64 DER, or raw DER bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<SigningKey, KeyError> {
        let expected = KeyKind::Private;
        let wrong = |found: &str| KeyError::WrongKind {
            expected,
            found: found.to_owned(),
        };
        let key = match decode(bytes, expected)? {
            Decoded::Pem { label, der } => match label.as_str() {
                "PRIVATE KEY" => {
                    PrivateKey::from_pkcs8_der(&der).map_err(|e| KeyError::Malformed {
                        expected,
                        form: "PEM PKCS#8 key",
                        reason: e.to_string(),
                    })?
                }
                "RSA PRIVATE KEY" => {
                    PrivateKey::from_pkcs1_der(&der).map_err(|e| KeyError::Malformed {
                        expected,
                        form: "PEM PKCS#1 key",
                        reason: e.to_string(),
                    })?
                }
                "ENCRYPTED PRIVATE KEY" => return Err(KeyError::Encrypted),
                "PUBLIC KEY" => return Err(wrong("a public key (PEM \"PUBLIC KEY\")")),
                "RSA PUBLIC KEY" => return Err(wrong("a public key (PEM \"RSA PUBLIC KEY\")")),
                "CERTIFICATE" => return Err(wrong("a certificate (PEM \"CERTIFICATE\")")),
                _ => return Err(KeyError::UnsupportedPem { expected, label }),
            },
            Decoded::Der(der) => match PrivateKey::from_pkcs8_der(&der)
                .or_else(|_| PrivateKey::from_pkcs1_der(&der))
            {
                Ok(key) => key,
                Err(e) => {
                    if PublicKey::from_public_key_der(&der).is_ok()
                        || PublicKey::from_pkcs1_der(&der).is_ok()
                    {
                        return Err(wrong("a public key (base64 DER)"));
                    }
                    return Err(KeyError::Malformed {
                        expected,
                        form: "base64 DER key",
                        reason: e.to_string(),
                    });
                }
            },
        };
        let bits = key.size() * 8;
        Ok(SigningKey {
            inner: pkcs1v15::SigningKey::new(key),
            bits,
        })
    }

    /// Reads a private key from text: PEM or bare base64 DER.
    pub fn from_pem_or_base64(text: &str) -> Result<SigningKey, KeyError> {
        SigningKey::from_bytes(text.as_bytes())
    }

    /// Reads a private key file in any of the accepted forms.
    pub fn from_file(path: &Path) -> Result<SigningKey, KeyError> {
        SigningKey::from_bytes(&read(path)?)
    }

    /// A fresh key of `bits` bits (2048 for PayCools), from the operating system's RNG.
    pub fn generate(bits: usize) -> Result<SigningKey, KeyError> {
        let key =
            PrivateKey::new(&mut getrandom::SysRng, bits).map_err(|e| KeyError::Malformed {
                expected: KeyKind::Private,
                form: "generated key",
                reason: e.to_string(),
            })?;
        Ok(SigningKey {
            inner: pkcs1v15::SigningKey::new(key),
            bits,
        })
    }

    /// The key size in bits.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// Signs `text` with SHA-512 instead of SHA-256: the wrong hash, for the
    /// harness's deliberately faulty clients only.
    pub fn sign_with_wrong_hash(&self, text: &str) -> String {
        let key = pkcs1v15::SigningKey::<sha2::Sha512>::new(self.inner.as_ref().clone());
        STANDARD.encode(key.sign(text.as_bytes()).to_bytes())
    }

    /// Signs `text` and returns the signature as standard padded base64.
    pub fn sign(&self, text: &str) -> String {
        STANDARD.encode(self.inner.sign(text.as_bytes()).to_bytes())
    }

    /// The matching public key.
    pub fn verifying_key(&self) -> VerifyingKey {
        let public = self.inner.as_ref().to_public_key();
        VerifyingKey {
            bits: self.bits,
            inner: pkcs1v15::VerifyingKey::new(public),
        }
    }

    /// The key as PEM PKCS#8. The result is secret: write it to a private file only.
    pub fn to_pkcs8_pem(&self) -> Result<zeroize::Zeroizing<String>, KeyError> {
        self.inner
            .as_ref()
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| KeyError::Malformed {
                expected: KeyKind::Private,
                form: "PKCS#8 encoding",
                reason: e.to_string(),
            })
    }
}

/// A partner's public key, ready to verify.
#[derive(Debug, Clone)]
pub struct VerifyingKey {
    inner: pkcs1v15::VerifyingKey<Sha256>,
    bits: usize,
}

impl VerifyingKey {
    /// Reads a public key from PEM (SPKI or PKCS#1), bare base64 DER, or raw DER bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<VerifyingKey, KeyError> {
        let expected = KeyKind::Public;
        let wrong = |found: &str| KeyError::WrongKind {
            expected,
            found: found.to_owned(),
        };
        let key = match decode(bytes, expected)? {
            Decoded::Pem { label, der } => match label.as_str() {
                "PUBLIC KEY" => {
                    PublicKey::from_public_key_der(&der).map_err(|e| KeyError::Malformed {
                        expected,
                        form: "PEM SPKI key",
                        reason: e.to_string(),
                    })?
                }
                "RSA PUBLIC KEY" => {
                    PublicKey::from_pkcs1_der(&der).map_err(|e| KeyError::Malformed {
                        expected,
                        form: "PEM PKCS#1 key",
                        reason: e.to_string(),
                    })?
                }
                "PRIVATE KEY" | "RSA PRIVATE KEY" | "ENCRYPTED PRIVATE KEY" => {
                    return Err(wrong(
                        "a private key (share only the public key with the harness's verify side)",
                    ));
                }
                "CERTIFICATE" => return Err(wrong("a certificate (PEM \"CERTIFICATE\")")),
                _ => return Err(KeyError::UnsupportedPem { expected, label }),
            },
            Decoded::Der(der) => match PublicKey::from_public_key_der(&der)
                .or_else(|_| PublicKey::from_pkcs1_der(&der))
            {
                Ok(key) => key,
                Err(e) => {
                    if PrivateKey::from_pkcs8_der(&der).is_ok()
                        || PrivateKey::from_pkcs1_der(&der).is_ok()
                    {
                        return Err(wrong("a private key (base64 DER)"));
                    }
                    return Err(KeyError::Malformed {
                        expected,
                        form: "base64 DER key",
                        reason: e.to_string(),
                    });
                }
            },
        };
        let bits = key.size() * 8;
        Ok(VerifyingKey {
            inner: pkcs1v15::VerifyingKey::new(key),
            bits,
        })
    }

    /// Reads a public key from text: PEM or bare base64 DER.
    pub fn from_pem_or_base64(text: &str) -> Result<VerifyingKey, KeyError> {
        VerifyingKey::from_bytes(text.as_bytes())
    }

    /// Reads a public key file in any of the accepted forms.
    pub fn from_file(path: &Path) -> Result<VerifyingKey, KeyError> {
        VerifyingKey::from_bytes(&read(path)?)
    }

    /// The key size in bits.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// Checks that `signature_b64` is this key's SHA256withRSA signature of `text`.
    pub fn verify(&self, text: &str, signature_b64: &str) -> Result<(), SignatureError> {
        let bytes = STANDARD
            .decode(signature_b64)
            .map_err(|e| SignatureError::NotBase64 {
                actual: redact::shorten(signature_b64, 24),
                reason: base64_reason(&e),
            })?;
        let expected = self.bits / 8;
        if bytes.len() != expected {
            return Err(SignatureError::Length {
                expected,
                actual: bytes.len(),
                bits: self.bits,
            });
        }
        let mismatch = || SignatureError::Mismatch {
            text: text.to_owned(),
        };
        let signature = pkcs1v15::Signature::try_from(bytes.as_slice()).map_err(|_| mismatch())?;
        self.inner
            .verify(text.as_bytes(), &signature)
            .map_err(|_| mismatch())
    }

    /// Whether `signature_b64` is this key's PKCS#1 v1.5 signature of `text`
    /// with another SHA-2 hash; names it (`SHA-512`, `SHA-384`, `SHA-224`).
    /// For diagnosing a refused signature, never for accepting one.
    pub fn other_hash_matching(&self, text: &str, signature_b64: &str) -> Option<&'static str> {
        let bytes = STANDARD.decode(signature_b64).ok()?;
        let signature = pkcs1v15::Signature::try_from(bytes.as_slice()).ok()?;
        let public = self.inner.as_ref().clone();
        let msg = text.as_bytes();
        if pkcs1v15::VerifyingKey::<sha2::Sha512>::new(public.clone())
            .verify(msg, &signature)
            .is_ok()
        {
            return Some("SHA-512");
        }
        if pkcs1v15::VerifyingKey::<sha2::Sha384>::new(public.clone())
            .verify(msg, &signature)
            .is_ok()
        {
            return Some("SHA-384");
        }
        if pkcs1v15::VerifyingKey::<sha2::Sha224>::new(public)
            .verify(msg, &signature)
            .is_ok()
        {
            return Some("SHA-224");
        }
        None
    }

    /// The key as bare base64 of its SPKI DER: the form PayCools' dashboard takes.
    pub fn to_spki_der_base64(&self) -> Result<String, KeyError> {
        self.inner
            .as_ref()
            .to_public_key_der()
            .map(|der| STANDARD.encode(der.as_bytes()))
            .map_err(|e| KeyError::Malformed {
                expected: KeyKind::Public,
                form: "SPKI encoding",
                reason: e.to_string(),
            })
    }

    /// SHA-256 of the key's SPKI DER, in hex: which key verified, in a report.
    pub fn fingerprint(&self) -> String {
        use sha2::Digest as _;
        self.inner
            .as_ref()
            .to_public_key_der()
            .map(|der| {
                sha2::Sha256::digest(der.as_bytes())
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The key as PEM SPKI (`BEGIN PUBLIC KEY`).
    pub fn to_spki_pem(&self) -> Result<String, KeyError> {
        self.inner
            .as_ref()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| KeyError::Malformed {
                expected: KeyKind::Public,
                form: "SPKI encoding",
                reason: e.to_string(),
            })
    }
}

fn read(path: &Path) -> Result<Vec<u8>, KeyError> {
    std::fs::read(path).map_err(|e| KeyError::Read {
        path: path.display().to_string(),
        reason: io_reason(&e),
    })
}

/// An I/O error as a short lowercase reason.
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::IsADirectory => "is a directory".into(),
        kind => kind.to_string(),
    }
}

fn base64_reason(e: &base64::DecodeError) -> String {
    match e {
        base64::DecodeError::InvalidByte(offset, byte) => {
            format!(
                "invalid character {:?} at offset {offset}",
                char::from(*byte)
            )
        }
        base64::DecodeError::InvalidLength(len) => format!("invalid length {len}"),
        base64::DecodeError::InvalidLastSymbol(offset, _) => {
            format!("invalid last symbol at offset {offset}")
        }
        base64::DecodeError::InvalidPadding => "missing or invalid padding".into(),
    }
}
