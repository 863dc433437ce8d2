//! A vendor's adapter, run by the adapter protocol (README, "The adapter protocol").
//!
//! `sh -c CMD` once per case, in the harness's environment plus `CDM_BASE_URL`,
//! `CDM_PARTNER_ID`, `CDM_CLIENT_KEY`, `CDM_ACCESS_TOKEN`, `CDM_REQUEST` and
//! `CDM_CASE_ID`. The process runs in its own process group, so that a
//! deadline (or a flood) stops it and everything it started.

use std::process::Stdio;
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

use super::{ClientFuture, ClientRun, ClientUnderTest, Invocation, parse_outcome};

/// How much of each output stream is kept, in bytes (the tail of stdout, the head of stderr).
const KEPT: usize = 64 * 1024;

/// A client run as a shell command.
#[derive(Debug, Clone)]
pub struct CommandClient {
    cmd: String,
}

impl CommandClient {
    /// The adapter `sh -c cmd`.
    pub fn new(cmd: impl Into<String>) -> CommandClient {
        CommandClient { cmd: cmd.into() }
    }
}

/// Kills the whole process group when dropped: on a deadline, or when the
/// harness stops waiting for a flooding client.
struct GroupGuard(Option<u32>);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some(pgid) = self.0.and_then(|pid| i32::try_from(pid).ok()) {
            // SAFETY: killpg takes plain integers and touches no memory.
            unsafe {
                libc::killpg(pgid, libc::SIGKILL);
            }
        }
    }
}

/// Reads a stream to its end, keeping the first `KEPT` bytes (`head`) or the last.
async fn read_capped(mut stream: impl AsyncRead + Unpin, head: bool) -> (Vec<u8>, usize) {
    let mut kept = Vec::new();
    let mut total = 0usize;
    let mut buf = vec![0u8; 8192];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                total += n;
                if head {
                    let room = KEPT.saturating_sub(kept.len());
                    kept.extend_from_slice(&buf[..n.min(room)]);
                } else {
                    kept.extend_from_slice(&buf[..n]);
                    if kept.len() > KEPT {
                        kept.drain(..kept.len() - KEPT);
                    }
                }
            }
        }
    }
    (kept, total)
}

fn text(bytes: &[u8], total: usize, head: bool) -> String {
    let s = String::from_utf8_lossy(bytes).into_owned();
    match (total > bytes.len(), head) {
        (false, _) => s,
        (true, true) => format!("{s}\n[… {} more bytes]", total - bytes.len()),
        (true, false) => format!("[… {} bytes before]\n{s}", total - bytes.len()),
    }
}

impl CommandClient {
    async fn run_inner(&self, inv: &Invocation) -> ClientRun {
        let started = Instant::now();
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(&self.cmd)
            .env("CDM_BASE_URL", &inv.base_url)
            .env("CDM_PARTNER_ID", &inv.partner_id)
            .env("CDM_CLIENT_KEY", &inv.client_key)
            .env("CDM_ACCESS_TOKEN", &inv.access_token)
            .env("CDM_REQUEST", inv.request.to_string())
            .env("CDM_CASE_ID", &inv.case_id)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        #[cfg(unix)]
        command.process_group(0);
        let mut child = match command.spawn() {
            Ok(c) => c,
            Err(e) => {
                return ClientRun {
                    outcome: Some(Err(format!("cannot start sh -c: {e}"))),
                    exit: "not started".into(),
                    ..ClientRun::default()
                };
            }
        };
        let _group = GroupGuard(child.id());
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let out_task = tokio::spawn(async move {
            match stdout {
                Some(s) => read_capped(s, false).await,
                None => (Vec::new(), 0),
            }
        });
        let err_task = tokio::spawn(async move {
            match stderr {
                Some(s) => read_capped(s, true).await,
                None => (Vec::new(), 0),
            }
        });
        let waited = tokio::time::timeout(inv.deadline, child.wait()).await;
        let exit = match &waited {
            Ok(Ok(status)) => describe_status(status),
            Ok(Err(e)) => format!("cannot wait for it: {e}"),
            Err(_) => {
                let _ = child.start_kill();
                format!("killed after the {} s deadline", inv.deadline.as_secs())
            }
        };
        // Whatever the adapter left behind in its group goes now, so that
        // its pipes close; then the output is read, with a short grace.
        drop(_group);
        let grace = std::time::Duration::from_secs(2);
        let (out, out_total) = tokio::time::timeout(grace, out_task)
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        let (err, err_total) = tokio::time::timeout(grace, err_task)
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        let stdout_text = text(&out, out_total, false);
        let stderr_text = text(&err, err_total, true);
        let outcome = match waited {
            Err(_) => Err(format!(
                "the client did not finish within {} s",
                inv.deadline.as_secs()
            )),
            Ok(_) => parse_outcome(&stdout_text, &inv.success_fields).map_err(|reason| {
                // Say how it ended, and its first complaint, on the same line.
                let first = stderr_text.lines().find(|l| !l.trim().is_empty());
                match first {
                    Some(line) => format!(
                        "{reason} ({exit}; stderr: {:?})",
                        crate::redact::shorten(line.trim(), 120)
                    ),
                    None => format!("{reason} ({exit})"),
                }
            }),
        };
        let tail: Vec<&str> = stdout_text.lines().rev().take(20).collect();
        ClientRun {
            outcome: Some(outcome),
            stdout_tail: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
            stderr: stderr_text,
            exit,
            elapsed_ms: started.elapsed().as_millis() as u64,
        }
    }
}

fn describe_status(status: &std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return format!("killed by signal {sig}");
        }
    }
    match status.code() {
        Some(c) => format!("exit {c}"),
        None => "ended without an exit code".into(),
    }
}

impl ClientUnderTest for CommandClient {
    fn name(&self) -> String {
        format!("sh -c {:?}", self.cmd)
    }

    fn run<'a>(&'a self, invocation: &'a Invocation) -> ClientFuture<'a> {
        Box::pin(self.run_inner(invocation))
    }
}
