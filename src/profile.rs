//! Profiles: named settings in a TOML file, beside flags and variables.
//!
//! ```toml
//! # cdm-conformance.toml
//! [profile.staging]
//! base_url = "https://staging.example"
//! partner_id = "cbce490e82f441f2b3162a2dd27e8fd1"
//! merchant_id = "M-0001"
//! private_key = "keys/private.pem"
//! client_key_env = "STAGING_CLIENT_KEY"     # a secret: from a variable...
//! access_token_file = "/run/secrets/token"  # ...or from a file, never inline
//! concurrency = 2
//! rate = 10
//! ```
//!
//! `--profile staging` (or `CDM_PROFILE`) reads `cdm-conformance.toml` in the
//! current directory, or `--config PATH`. A value given by flag or `CDM_*`
//! variable wins over the profile. Secrets (the client key and the access
//! token) may not be written in the file itself: name a file or a variable.
//! Relative paths are relative to the profile file.
//!
//! ```
//! use cdm_conformance::profile::Profile;
//! let here = std::path::Path::new(".");
//! let p = Profile::from_text("[profile.ci]\npartner_id = \"p\"\n", "ci", here).unwrap();
//! assert_eq!(p.partner_id.as_deref(), Some("p"));
//!
//! let unset = "[profile.ci]\naccess_token_env = \"CDM_DOC_UNSET_VARIABLE\"\n";
//! let err = Profile::from_text(unset, "ci", here).unwrap_err();
//! assert_eq!(err.to_string(), "access_token: the variable CDM_DOC_UNSET_VARIABLE is not set");
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The default profile file, in the current directory.
pub const DEFAULT_FILE: &str = "cdm-conformance.toml";

/// Why a profile could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// The file could not be read.
    #[error("cannot read profile file {path}: {reason}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The file is not valid TOML of the expected shape.
    #[error("profile file {path}: {reason}")]
    Parse {
        /// The file.
        path: String,
        /// The parser's reason.
        reason: String,
    },
    /// No such profile in the file.
    #[error("profile file {path} has no [profile.{name}] (it has: {known})")]
    Missing {
        /// The file.
        path: String,
        /// The profile asked for.
        name: String,
        /// The profiles it has.
        known: String,
    },
    /// A secret's file or variable could not be read.
    #[error("{what}: {reason}")]
    Secret {
        /// Which setting.
        what: String,
        /// Why.
        reason: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    profile: BTreeMap<String, RawProfile>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    base_url: Option<String>,
    partner_id: Option<String>,
    merchant_id: Option<String>,
    private_key: Option<PathBuf>,
    public_key: Option<PathBuf>,
    client_key_file: Option<PathBuf>,
    client_key_env: Option<String>,
    access_token_file: Option<PathBuf>,
    access_token_env: Option<String>,
    concurrency: Option<u32>,
    rate: Option<u32>,
    ca_bundle: Option<PathBuf>,
    cmd: Option<String>,
}

/// A profile, its secrets read and its paths resolved.
#[derive(Default, Clone)]
pub struct Profile {
    /// The endpoint's base URL.
    pub base_url: Option<String>,
    /// X-PARTNER-ID.
    pub partner_id: Option<String>,
    /// merchantId.
    pub merchant_id: Option<String>,
    /// The partner's private key file.
    pub private_key: Option<String>,
    /// The partner's public key file.
    pub public_key: Option<String>,
    /// The client key, read from its file or variable.
    pub client_key: Option<String>,
    /// The access token, read from its file or variable.
    pub access_token: Option<String>,
    /// Requests in flight.
    pub concurrency: Option<u32>,
    /// Requests per second.
    pub rate: Option<u32>,
    /// Extra CA certificates.
    pub ca_bundle: Option<PathBuf>,
    /// The client adapter command.
    pub cmd: Option<String>,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("base_url", &self.base_url)
            .field("partner_id", &self.partner_id)
            .field(
                "access_token",
                &self.access_token.as_deref().map(crate::redact::token),
            )
            .finish_non_exhaustive()
    }
}

fn secret(
    what: &str,
    file: Option<PathBuf>,
    var: Option<String>,
) -> Result<Option<String>, ProfileError> {
    let err = |reason: String| ProfileError::Secret {
        what: what.to_owned(),
        reason,
    };
    match (file, var) {
        (Some(_), Some(_)) => Err(err("give a file or a variable, not both".into())),
        (Some(path), None) => std::fs::read_to_string(&path)
            .map(|s| Some(s.trim_end_matches(['\r', '\n']).to_owned()))
            .map_err(|e| {
                err(format!(
                    "cannot read {}: {}",
                    path.display(),
                    crate::wire::signature::io_reason(&e)
                ))
            }),
        (None, Some(var)) => std::env::var(&var)
            .map(Some)
            .map_err(|_| err(format!("the variable {var} is not set"))),
        (None, None) => Ok(None),
    }
}

impl Profile {
    /// Reads profile `name` from the TOML `text`; relative paths resolve against `base`.
    pub fn from_text(text: &str, name: &str, base: &Path) -> Result<Profile, ProfileError> {
        Profile::parse(text, name, base, "<text>")
    }

    fn parse(text: &str, name: &str, base: &Path, shown: &str) -> Result<Profile, ProfileError> {
        // The parser's message only, with a line number: never the line
        // itself, which may hold a secret someone wrote inline.
        let mut file: File = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |span| {
                text[..span.start.min(text.len())].matches('\n').count() + 1
            });
            ProfileError::Parse {
                path: shown.to_owned(),
                reason: {
                    let message = e.message().trim_end().replace('\n', " ");
                    // A secret written inline: say what to write instead.
                    let inline = ["access_token", "client_key"]
                        .into_iter()
                        .find(|k| message.contains(&format!("unknown field `{k}`")));
                    match inline {
                        Some(k) => format!(
                            "line {line}: {k} may not be written in a profile (it would sit in a file anyone may read or commit): use {k}_env = \"VARIABLE\" or {k}_file = \"PATH\""
                        ),
                        None => format!("line {line}: {message}"),
                    }
                },
            }
        })?;
        let known = file.profile.keys().cloned().collect::<Vec<_>>().join(", ");
        let raw = file
            .profile
            .remove(name)
            .ok_or_else(|| ProfileError::Missing {
                path: shown.to_owned(),
                name: name.to_owned(),
                known: if known.is_empty() {
                    "none".into()
                } else {
                    known
                },
            })?;
        let resolve = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
        let as_text = |p: PathBuf| resolve(p).display().to_string();
        Ok(Profile {
            base_url: raw.base_url,
            partner_id: raw.partner_id,
            merchant_id: raw.merchant_id,
            private_key: raw.private_key.map(as_text),
            public_key: raw.public_key.map(as_text),
            client_key: secret(
                "client_key",
                raw.client_key_file.map(resolve),
                raw.client_key_env,
            )?,
            access_token: secret(
                "access_token",
                raw.access_token_file.map(resolve),
                raw.access_token_env,
            )?,
            concurrency: raw.concurrency,
            rate: raw.rate,
            ca_bundle: raw.ca_bundle.map(resolve),
            cmd: raw.cmd,
        })
    }

    /// Reads profile `name` from `path` (default: `cdm-conformance.toml`).
    pub fn load(path: Option<&Path>, name: &str) -> Result<Profile, ProfileError> {
        let path = path.map_or_else(|| PathBuf::from(DEFAULT_FILE), Path::to_path_buf);
        let text = std::fs::read_to_string(&path).map_err(|e| ProfileError::Read {
            path: path.display().to_string(),
            reason: crate::wire::signature::io_reason(&e),
        })?;
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Profile::parse(&text, name, base, &path.display().to_string())
    }
}
