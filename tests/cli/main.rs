//! The `sign`, `verify` and `keygen` commands, run as a user runs them.

#[path = "../common/mod.rs"]
mod common;

mod errors;
mod keygen;
mod server;
mod sign_verify;

use std::process::Command;

/// What a run of the binary printed and how it ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the binary with `args`, no `CDM_*` variable inherited, plus `env`.
pub fn run(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cdm-conformance"));
    cmd.args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("CDM_") {
            cmd.env_remove(k);
        }
    }
    cmd.envs(env.iter().copied());
    let out = cmd.output().expect("the binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
