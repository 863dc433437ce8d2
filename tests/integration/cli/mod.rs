//! The `sign`, `verify` and `keygen` commands, run as a user runs them.

mod client;
mod errors;
mod keygen;
mod profile;
mod server;
mod sign_verify;
mod spec_dir;
pub mod staging;

use std::process::Command;

/// What a run of the binary printed and how it ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the binary with `args`, no `CDM_*` variable inherited, plus `env`.
pub fn run(args: &[&str], env: &[(&str, &str)]) -> Run {
    run_within(args, env, std::time::Duration::from_secs(240))
}

/// The same, failing the test if the run takes longer than `limit` (a hang
/// guard, far above any run's expected time, never a speed check).
pub fn run_within(args: &[&str], env: &[(&str, &str)], limit: std::time::Duration) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cdm-conformance"));
    cmd.args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("CDM_") {
            cmd.env_remove(k);
        }
    }
    cmd.envs(env.iter().copied());
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("the binary runs");
    // Drain both pipes while waiting, so a long output never blocks the child.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut p) = pipe {
                let mut bytes = Vec::new();
                let _ = p.read_to_end(&mut bytes);
                text = String::from_utf8_lossy(&bytes).into_owned();
            }
            text
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    );
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("cdm-conformance {args:?} still running after {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    }
}
