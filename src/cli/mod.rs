//! The `cdm-conformance` command line (README, "Commands").
//!
//! Exit codes: `0` success (`verify`: the signature is valid); `1` a verdict
//! against the input (`verify`: invalid, with the reason); `2` the command
//! could not run (bad flags, unreadable key, malformed input), with a
//! one-line reason on stderr.
//!
//! Every flag that carries a credential also reads a `CDM_*` environment
//! variable; flags win. `--help` never shows those variables' values.

mod client;
mod diff;
mod output;
mod proxy;
mod rejudge;
mod server;
mod simulate;

pub use server::{Prepared, prepare as prepare_server};

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::contract::Contract;
use crate::spec::HeaderFormat;
use crate::wire::{KeyError, SignatureError, SigningKey, Timestamp, TimestampError, VerifyingKey};

/// Conformance harness for PayCools' Generate ATM QRCode API
/// (POST /v2.0/cdm/cdm-mpm-generate, SNAP service code 90).
#[derive(Debug, Parser)]
#[command(name = "cdm-conformance", version, propagate_version = true)]
pub struct Cli {
    /// Load the API's tables from this directory (api.toml, interpretations.toml, errata.toml) instead of the built-in specs/
    #[arg(long, global = true, value_name = "DIR", env = "CDM_SPEC")]
    pub spec: Option<PathBuf>,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print X-TIMESTAMP and X-SIGNATURE for a client key (now, in Jakarta time, unless --timestamp)
    Sign(SignArgs),
    /// Check an X-SIGNATURE: exit 0 and `valid`, or exit 1 and the reason
    Verify(VerifyArgs),
    /// Write a fresh RSA-2048 key pair: private.pem (PKCS#8) and public.pem (SPKI)
    Keygen(KeygenArgs),
    /// Run the server suite against --base-url, or against the built-in simulator
    Server(ServerArgs),
    /// Run the PayCools simulator until interrupted
    Simulate(SimulateArgs),
    /// Certify a client: --cmd "CMD" runs a vendor's adapter; without it, the reference client
    Client(ClientArgs),
    /// Print the rule book (every check, case, scenario, reading and erratum) as Markdown
    Rules,
    /// Compare two JSON reports: cases newly failing, newly passing, changed (exit 1 when NEW fails a case OLD passed)
    Diff(DiffArgs),
    /// Judge a certification or proxy report again from its evidence: verify every signature, exit 1 naming each unsupported verdict
    Rejudge(RejudgeArgs),
    /// A validating proxy: forward each request to --upstream unchanged and its answer back, judging both; reports on Ctrl-C, SIGTERM or --max-exchanges
    Proxy(ProxyArgs),
}

/// `proxy`.
#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// The endpoint's base URL, http or https: a request for path P goes to URL + P
    #[arg(long, value_name = "URL")]
    pub upstream: String,
    /// The port on 127.0.0.1 to listen on (0: any free port, printed at start)
    #[arg(long, value_name = "N", default_value_t = 0, conflicts_with = "listen")]
    pub port: u16,
    /// The address to listen on instead, e.g. 0.0.0.0:8080 (anyone who reaches it can use the proxy)
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,
    /// The partner's credentials: --public-key verifies signatures over --client-key; --partner-id and --access-token are judged when given
    #[command(flatten)]
    pub credentials: CredentialArgs,
    /// Trust these PEM certificates for the upstream's TLS: a private CA, or its own self-signed certificate
    #[arg(long, value_name = "PATH")]
    pub ca_bundle: Option<PathBuf>,
    /// Trust any TLS certificate of the upstream (a last resort; every report says so)
    #[arg(long, conflicts_with = "ca_bundle")]
    pub insecure: bool,
    /// Stop after N exchanges and write the reports
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_exchanges: Option<u64>,
    /// Reports and the console.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `rejudge`.
#[derive(Debug, Args)]
pub struct RejudgeArgs {
    /// The JSON report (`--report-json` of `client`)
    pub report: PathBuf,
    /// The partner's public key the certification verified with: a file (PEM SPKI, PEM PKCS#1 or base64 DER) or the key itself
    #[arg(
        long,
        value_name = "PEM",
        env = "CDM_PUBLIC_KEY",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub public_key: String,
}

/// `diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier JSON report
    pub old: PathBuf,
    /// The later JSON report
    pub new: PathBuf,
}

/// `client`.
#[derive(Debug, Args)]
pub struct ClientArgs {
    /// The adapter, run as `sh -c CMD` once per case (see the README's adapter protocol)
    #[arg(long, value_name = "CMD")]
    pub cmd: Option<String>,
    /// The partner's credentials.
    #[command(flatten)]
    pub credentials: CredentialArgs,
    /// Reports and case selection.
    #[command(flatten)]
    pub reports: ReportArgs,
    /// Seconds one adapter run may take before it is stopped and the case fails
    #[arg(long, value_name = "S", default_value_t = 90, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub deadline: u64,
    /// Requests one case may send before the client is stopped and the case fails
    #[arg(long, value_name = "N", default_value_t = 12, value_parser = clap::value_parser!(u64).range(4..=1000))]
    pub request_cap: u64,
    /// The certified client's name, recorded in every report
    #[arg(long, value_name = "NAME")]
    pub client_name: Option<String>,
    /// The certified client's version, recorded in every report
    #[arg(long, value_name = "V")]
    pub client_version: Option<String>,
    /// A file of the certified client (repeatable): its SHA-256 is recorded in every report
    #[arg(long, value_name = "PATH")]
    pub artifact: Vec<PathBuf>,
    /// Client runs at once (the scenarios that wait out timeouts start first)
    #[arg(long, value_name = "N", default_value_t = crate::certify::DEFAULT_JOBS as u64, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub jobs: u64,
}

/// The credentials shared by `server`, `client` and `simulate`.
#[derive(Debug, Clone, Default, Args)]
pub struct CredentialArgs {
    /// X-PARTNER-ID, the appId PayCools issued
    #[arg(long, value_name = "ID", env = "CDM_PARTNER_ID")]
    pub partner_id: Option<String>,
    /// The client key signed with the timestamp
    #[arg(long, value_name = "K", env = "CDM_CLIENT_KEY", hide_env_values = true)]
    pub client_key: Option<String>,
    /// The access token sent after "Bearer "
    #[arg(
        long,
        value_name = "TOKEN",
        env = "CDM_ACCESS_TOKEN",
        hide_env_values = true
    )]
    pub access_token: Option<String>,
    /// The merchantId to generate QR codes for
    #[arg(long, value_name = "ID", env = "CDM_MERCHANT_ID")]
    pub merchant_id: Option<String>,
    /// The partner's private key (server signs with it): a file or the key itself
    #[arg(
        long,
        value_name = "PATH",
        env = "CDM_PRIVATE_KEY",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub private_key: Option<String>,
    /// The partner's public key (client and simulate verify with it): a file or the key itself
    #[arg(
        long,
        value_name = "PATH",
        env = "CDM_PUBLIC_KEY",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub public_key: Option<String>,
    /// Read the client key from this file
    #[arg(long, value_name = "PATH", conflicts_with = "client_key")]
    pub client_key_file: Option<PathBuf>,
    /// Read the access token from this file
    #[arg(long, value_name = "PATH", conflicts_with = "access_token")]
    pub access_token_file: Option<PathBuf>,
    /// Use [profile.NAME] of the profile file for whatever flags and variables leave unset
    #[arg(long, value_name = "NAME", env = "CDM_PROFILE")]
    pub profile: Option<String>,
    /// The profile file (default: cdm-conformance.toml in the current directory)
    #[arg(long, value_name = "PATH", requires = "profile")]
    pub config: Option<PathBuf>,
}

impl CredentialArgs {
    /// Flags and variables first, then the secret files, then the profile.
    pub fn merged(&self) -> Result<(CredentialArgs, crate::profile::Profile), CliError> {
        let read =
            |flag: &'static str, path: &Option<PathBuf>| -> Result<Option<String>, CliError> {
                path.as_ref()
                    .map(|p| {
                        fs::read_to_string(p)
                            .map(|s| s.trim_end_matches(['\r', '\n']).to_owned())
                            .map_err(|e| CliError::Flag {
                                flag,
                                reason: format!(
                                    "cannot read {}: {}",
                                    p.display(),
                                    crate::wire::signature::io_reason(&e)
                                ),
                            })
                    })
                    .transpose()
            };
        let mut merged = self.clone();
        merged.client_key = merged
            .client_key
            .or(read("--client-key-file", &self.client_key_file)?);
        merged.access_token = merged
            .access_token
            .or(read("--access-token-file", &self.access_token_file)?);
        let profile = match &self.profile {
            Some(name) => {
                crate::profile::Profile::load(self.config.as_deref(), name).map_err(|e| {
                    CliError::Flag {
                        flag: "--profile",
                        reason: e.to_string(),
                    }
                })?
            }
            None => crate::profile::Profile::default(),
        };
        let p = profile.clone();
        merged.partner_id = merged.partner_id.or(p.partner_id);
        merged.merchant_id = merged.merchant_id.or(p.merchant_id);
        merged.private_key = merged.private_key.or(p.private_key);
        merged.public_key = merged.public_key.or(p.public_key);
        merged.client_key = merged.client_key.or(p.client_key);
        merged.access_token = merged.access_token.or(p.access_token);
        Ok((merged, profile))
    }
}

/// Where reports go, and how much the console says.
#[derive(Debug, Clone, Default, Args)]
pub struct OutputArgs {
    /// Write the JSON report here
    #[arg(long, value_name = "PATH")]
    pub report_json: Option<PathBuf>,
    /// Write JUnit XML here
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Write the self-contained HTML report here
    #[arg(long, value_name = "PATH")]
    pub report_html: Option<PathBuf>,
    /// Write a Markdown summary here (for a CI job summary)
    #[arg(long, value_name = "PATH")]
    pub report_md: Option<PathBuf>,
    /// Print only failed cases and the summary line
    #[arg(long, short, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print every case and every failing check
    #[arg(long, short)]
    pub verbose: bool,
}

/// Where reports go and which cases run.
#[derive(Debug, Clone, Default, Args)]
pub struct ReportArgs {
    /// Reports and the console.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Run only the cases whose id contains this text (several: comma-separated)
    #[arg(long, value_name = "PATTERN")]
    pub cases: Option<String>,
    /// Print every case id with the row it cites, one a line (tab between), and exit
    #[arg(long)]
    pub list: bool,
}

impl OutputArgs {
    /// The console the flags ask for.
    pub fn console(&self) -> crate::console::Console {
        use crate::console::{Console, Verbosity};
        Console::detect(match (self.quiet, self.verbose) {
            (true, _) => Verbosity::Quiet,
            (_, true) => Verbosity::Verbose,
            _ => Verbosity::Normal,
        })
    }
}

/// `server`.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// The endpoint's base URL (the path /v2.0/cdm/cdm-mpm-generate is appended); none: the built-in simulator
    #[arg(long, value_name = "URL", env = "CDM_BASE_URL")]
    pub base_url: Option<String>,
    /// The partner's credentials.
    #[command(flatten)]
    pub credentials: CredentialArgs,
    /// Reports and case selection.
    #[command(flatten)]
    pub reports: ReportArgs,
    /// Also run the rate-limit burst (it sends --burst requests at once: never by default against staging)
    #[arg(long)]
    pub include_rate_limit: bool,
    /// Requests the burst sends
    #[arg(long, value_name = "N", default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub burst: u32,
    /// Requests in flight at most (default 4 against --base-url, unpaced against the simulator)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=256))]
    pub concurrency: Option<u32>,
    /// Requests per second at most (default 50 against --base-url)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub rate: Option<u32>,
    /// Trust these PEM certificates for TLS: a private CA, or the server's own self-signed certificate (pinned as is)
    #[arg(long, value_name = "PATH")]
    pub ca_bundle: Option<PathBuf>,
    /// Trust any TLS certificate (a last resort; every report says so)
    #[arg(long, conflicts_with = "ca_bundle")]
    pub insecure: bool,
    /// Judge every case even when the first request points at the setup (a refused key, an unknown merchant, a wrong path, no answer)
    #[arg(long)]
    pub no_preflight: bool,
    /// Known deviations: a TOML file of [[known]] entries (case, reason, ticket); listed failures do not fail the run, listed passes do
    #[arg(long, value_name = "FILE")]
    pub expect_failures: Option<PathBuf>,
}

/// `simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The port on 127.0.0.1 (0: any free port)
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub port: u16,
    /// The partner's credentials.
    #[command(flatten)]
    pub credentials: CredentialArgs,
    /// Where to write the generated key pair and credentials.env (default: a new directory under the system's temp dir)
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Break one rule of the contract on purpose, to see the harness catch it (repeatable)
    #[arg(long, value_name = "NAME", value_enum)]
    pub quirk: Vec<crate::simulator::Quirk>,
}

/// `sign`.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// The partner's private key: a file (PEM PKCS#8, PEM PKCS#1 or base64 DER) or the key itself
    #[arg(
        long,
        value_name = "PEM",
        env = "CDM_PRIVATE_KEY",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub private_key: String,
    /// The client key PayCools issued (signed, never sent)
    #[arg(long, value_name = "K", env = "CDM_CLIENT_KEY", hide_env_values = true)]
    pub client_key: String,
    /// Sign this X-TIMESTAMP instead of now (exactly YYYY-MM-DDTHH:mm:ss+07:00)
    #[arg(long, value_name = "TS")]
    pub timestamp: Option<String>,
}

/// `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The partner's public key: a file (PEM SPKI, PEM PKCS#1 or base64 DER) or the key itself
    #[arg(
        long,
        value_name = "PEM",
        env = "CDM_PUBLIC_KEY",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub public_key: String,
    /// The client key the signature was made with
    #[arg(long, value_name = "K", env = "CDM_CLIENT_KEY", hide_env_values = true)]
    pub client_key: String,
    /// The X-TIMESTAMP exactly as sent
    #[arg(long, value_name = "TS")]
    pub timestamp: String,
    /// The X-SIGNATURE, standard padded base64
    #[arg(long, value_name = "B64", allow_hyphen_values = true)]
    pub signature: String,
}

/// `keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// The directory to write private.pem and public.pem into (created if missing)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Overwrite existing key files
    #[arg(long)]
    pub force: bool,
}

/// Why a command could not run: one line, exit code 2.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// A key flag's value could not be read as a key.
    #[error("{flag}: {source}")]
    Key {
        /// The flag.
        flag: &'static str,
        /// Why.
        source: KeyError,
    },
    /// `--timestamp` is not a well-formed X-TIMESTAMP.
    #[error("--timestamp: {0}")]
    Timestamp(#[from] TimestampError),
    /// `--signature` is not base64.
    #[error("--signature: {0}")]
    Signature(SignatureError),
    /// A file would be overwritten.
    #[error("{path} already exists; pass --force to overwrite it")]
    Exists {
        /// The file.
        path: String,
    },
    /// A flag's value is not usable.
    #[error("{flag}: {reason}")]
    Flag {
        /// The flag.
        flag: &'static str,
        /// Why.
        reason: String,
    },
    /// Credentials are missing for a real endpoint.
    #[error("--base-url needs {missing} (or their CDM_* variables)")]
    MissingCredentials {
        /// The flags missing.
        missing: String,
    },
    /// `--spec` could not be loaded.
    #[error("--spec: {0}")]
    Spec(#[from] crate::spec::SpecError),
    /// The suite could not run.
    #[error("{0}")]
    Run(#[from] crate::runner::RunError),
    /// Certification could not run.
    #[error("{0}")]
    Certify(#[from] crate::certify::CertifyError),
    /// The simulator could not start.
    #[error("{0}")]
    Simulator(#[from] crate::simulator::SimError),
    /// A file could not be written.
    #[error("cannot write {path}: {reason}")]
    Write {
        /// The file or directory.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
}

/// Reads a key flag: a file, or the key itself (PEM text or bare base64 DER).
///
/// The value is shown in an error only when it was taken for a path, so key
/// material given inline never reaches the console.
pub fn key_bytes(flag: &'static str, value: &str) -> Result<Vec<u8>, CliError> {
    let trimmed = value.trim();
    let looks_inline = trimmed.starts_with("-----BEGIN")
        || (trimmed.len() >= 100
            && trimmed
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=\r\n ".contains(&b)));
    if looks_inline && !Path::new(value).exists() {
        return Ok(trimmed.as_bytes().to_vec());
    }
    fs::read(value).map_err(|e| CliError::Key {
        flag,
        source: KeyError::Read {
            path: value.to_owned(),
            reason: crate::wire::signature::io_reason(&e),
        },
    })
}

pub(crate) fn signing_key(flag: &'static str, value: &str) -> Result<SigningKey, CliError> {
    SigningKey::from_bytes(&key_bytes(flag, value)?)
        .map_err(|source| CliError::Key { flag, source })
}

pub(crate) fn verifying_key(flag: &'static str, value: &str) -> Result<VerifyingKey, CliError> {
    VerifyingKey::from_bytes(&key_bytes(flag, value)?)
        .map_err(|source| CliError::Key { flag, source })
}

/// What a command printed and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Lines for standard output.
    pub stdout: String,
    /// Lines for standard error.
    pub stderr: String,
    /// The exit code (0 or 1; 2 comes from [`CliError`]).
    pub code: u8,
}

fn sign(contract: &Contract, args: &SignArgs) -> Result<Outcome, CliError> {
    let key = signing_key("--private-key", &args.private_key)?;
    let timestamp = match &args.timestamp {
        Some(ts) => Timestamp::parse(ts)?,
        None => Timestamp::now(),
    };
    let signature = key.sign(&contract.signing_text(&args.client_key, timestamp.as_str()));
    Ok(Outcome {
        stdout: format!(
            "{}: {timestamp}\n{}: {signature}\n",
            contract
                .header(HeaderFormat::JakartaTimestamp)
                .unwrap_or("timestamp"),
            contract
                .header(HeaderFormat::RsaSignature)
                .unwrap_or("signature"),
        ),
        stderr: String::new(),
        code: 0,
    })
}

fn verify(contract: &Contract, args: &VerifyArgs) -> Result<Outcome, CliError> {
    let key = verifying_key("--public-key", &args.public_key)?;
    let text = contract.signing_text(&args.client_key, &args.timestamp);
    let invalid = |reason: String| Outcome {
        stdout: format!("invalid: {reason}\n"),
        stderr: String::new(),
        code: 1,
    };
    match key.verify(&text, &args.signature) {
        Err(e @ SignatureError::NotBase64 { .. }) => Err(CliError::Signature(e)),
        Err(e) => Ok(invalid(e.to_string())),
        Ok(()) => match Timestamp::parse(&args.timestamp) {
            Err(e) => Ok(invalid(format!("{e} (the signature itself matches)"))),
            Ok(_) => Ok(Outcome {
                stdout: "valid\n".into(),
                stderr: String::new(),
                code: 0,
            }),
        },
    }
}

pub(crate) fn write_file(path: &Path, contents: &[u8], mode: u32) -> Result<(), CliError> {
    let err = |e: std::io::Error| CliError::Write {
        path: path.display().to_string(),
        reason: crate::wire::signature::io_reason(&e),
    };
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(err)?;
    file.write_all(contents).map_err(err)
}

fn keygen(args: &KeygenArgs) -> Result<Outcome, CliError> {
    let private = args.out.join("private.pem");
    let public = args.out.join("public.pem");
    if !args.force {
        for path in [&private, &public] {
            if path.exists() {
                return Err(CliError::Exists {
                    path: path.display().to_string(),
                });
            }
        }
    }
    fs::create_dir_all(&args.out).map_err(|e| CliError::Write {
        path: args.out.display().to_string(),
        reason: crate::wire::signature::io_reason(&e),
    })?;
    let key_error = |source| CliError::Key {
        flag: "keygen",
        source,
    };
    let key = SigningKey::generate(2048).map_err(key_error)?;
    let private_pem = key.to_pkcs8_pem().map_err(key_error)?;
    let public_pem = key.verifying_key().to_spki_pem().map_err(key_error)?;
    write_file(&private, private_pem.as_bytes(), 0o600)?;
    write_file(&public, public_pem.as_bytes(), 0o644)?;
    let der_b64 = key
        .verifying_key()
        .to_spki_der_base64()
        .map_err(key_error)?;
    let stdout = format!(
        "wrote {} (RSA-2048, PKCS#8, keep it secret)\nwrote {} (SPKI)\npublic key, base64 DER (the form PayCools' dashboard takes): {der_b64}\n",
        private.display(),
        public.display()
    );
    Ok(Outcome {
        stdout,
        stderr: String::new(),
        code: 0,
    })
}

/// Runs a parsed command line.
pub fn run(cli: &Cli) -> Result<Outcome, CliError> {
    let contract = || Contract::load(cli.spec.as_deref());
    match &cli.command {
        Command::Sign(args) => sign(&*contract()?, args),
        Command::Verify(args) => verify(&*contract()?, args),
        Command::Keygen(args) => keygen(args),
        Command::Server(args) => runtime()?.block_on(server::run(contract()?, args)),
        Command::Simulate(args) => {
            runtime()?.block_on(simulate::run(contract()?, cli.spec.as_deref(), args))
        }
        Command::Client(args) => runtime()?.block_on(client::run(contract()?, args)),
        Command::Diff(args) => diff::run(args),
        Command::Rejudge(args) => rejudge::run(&*contract()?, args),
        Command::Proxy(args) => runtime()?.block_on(proxy::run(contract()?, args)),
        Command::Rules => Ok(Outcome {
            stdout: crate::rulebook::render(&*contract()?),
            stderr: String::new(),
            code: 0,
        }),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Flag {
            flag: "runtime",
            reason: e.to_string(),
        })
}

/// The binary's entry point: parses, runs, prints, and maps to an exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            if !e.use_stderr() {
                // --help and --version.
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            // One line: clap's message up to its usage block, the argument it
            // names and any "did you mean" tip included.
            let rendered = e.render().to_string();
            let line = rendered
                .lines()
                .take_while(|l| !l.starts_with("Usage:"))
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .fold(String::new(), |line, part| {
                    match (line.is_empty(), part.starts_with("tip:")) {
                        (true, _) => part.to_owned(),
                        (false, true) => format!("{line}; {part}"),
                        (false, false) => format!("{line} {part}"),
                    }
                });
            let line = if line.is_empty() {
                "error: invalid arguments".to_owned()
            } else {
                line
            };
            eprintln!("{line} (see 'cdm-conformance --help')");
            return ExitCode::from(2);
        }
    };
    match run(&cli) {
        Ok(outcome) => {
            print!("{}", outcome.stdout);
            eprint!("{}", outcome.stderr);
            ExitCode::from(outcome.code)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
