//! Driving a client: one run per scenario, stopped at its deadline or when
//! it floods the case, and its requests turned into report records.

use std::sync::Arc;
use std::time::Duration;

use super::CertifyOptions;
use crate::client::{ClientRun, ClientUnderTest, Invocation};
use crate::simulator::Engine;

/// Runs the client, stopping it at the deadline or when it floods the case.
pub(super) async fn drive(
    engine: &Engine,
    client: Arc<dyn ClientUnderTest>,
    invocation: &Invocation,
    options: &CertifyOptions,
) -> ClientRun {
    let inv = invocation.clone();
    let mut task = tokio::spawn(async move { client.run(&inv).await });
    let deadline = tokio::time::sleep(options.deadline + Duration::from_secs(5));
    tokio::pin!(deadline);
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    loop {
        tokio::select! {
            joined = &mut task => {
                return match joined {
                    Ok(run) => run,
                    Err(e) => {
                        let reason = crate::runner::panic_reason(e);
                        ClientRun {
                            outcome: Some(Err(format!("the client crashed: {reason}"))),
                            exit: "panicked".into(),
                            ..ClientRun::default()
                        }
                    }
                };
            }
            _ = &mut deadline => {
                task.abort();
                return ClientRun {
                    outcome: Some(Err(format!("the client did not finish within {} s", options.deadline.as_secs()))),
                    exit: "stopped at the deadline".into(),
                    ..ClientRun::default()
                };
            }
            _ = tick.tick() => {
                let sent = engine.requests(&invocation.case_id);
                if sent > options.request_cap {
                    task.abort();
                    return ClientRun {
                        outcome: Some(Err(format!("the client was stopped after {sent} requests (the cap per case is {})", options.request_cap))),
                        exit: "stopped for flooding".into(),
                        ..ClientRun::default()
                    };
                }
            }
        }
    }
}
