//! `runs follow`: the run's events as they arrive over the event stream, with a progress line
//! (status, steps, the open wait and its paused time, budget) refreshed from `get_run`, until the
//! run ends. A broken or silent stream is reopened after the last event it delivered
//! (`Last-Event-ID`), so nothing is lost or repeated, with a bound on reconnects in a row.

use std::{
    io::{IsTerminal, Write},
    time::Duration,
};

use chrono::Utc;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{
    client::{CallError, StaffClient},
    format, show,
    sse::EventStream,
};
use crate::api::staff::wire;

/// How often the progress line is refreshed.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);
/// Failed (re)connects in a row before `follow` gives up.
const MAX_RECONNECTS: u32 = 5;
/// First reconnect delay; doubled per failure, capped at [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// Longest reconnect delay.
const MAX_BACKOFF: Duration = Duration::from_secs(4);
/// Least silence before the stream counts as broken: the server sends a keep-alive every 15 s.
const MIN_IDLE: Duration = Duration::from_secs(20);

/// How following ended.
#[derive(Debug)]
pub(super) enum Followed {
    /// The run ended; its final state.
    Ended(Box<wire::RunDetail>),
    /// Interrupted (Ctrl-C) before the run ended; the run goes on.
    Interrupted,
}

/// Whether the run has ended (the engine's status, else the stage run's).
pub(super) fn ended(run: &wire::RunDetail) -> bool {
    terminal(&run.engine.status.to_string()) || terminal(&run.run.status)
}

/// The run's final status: the engine's once it has ended, else the stage run's.
pub(super) fn final_status(run: &wire::RunDetail) -> String {
    let engine = run.engine.status.to_string();
    if terminal(&engine) {
        engine
    } else {
        run.run.status.clone()
    }
}

fn terminal(status: &str) -> bool {
    matches!(status, "succeeded" | "failed" | "cancelled" | "timed_out")
}

fn backoff(failures: u32) -> Duration {
    FIRST_BACKOFF
        .saturating_mul(1 << failures.saturating_sub(1).min(8))
        .min(MAX_BACKOFF)
}

/// Follows run `id` until it ends (or `shutdown`); prints as it goes.
pub(super) async fn follow(
    client: &StaffClient,
    id: Uuid,
    json: bool,
    shutdown: &CancellationToken,
) -> Result<Followed, CallError> {
    let first = client.get_run(id).await?;
    let mut out = Output::new(json);
    out.header(&first);
    let idle = client.timeout().max(MIN_IDLE);
    let mut last: Option<i64> = None;
    let mut failures = 0u32;
    let mut tick = tokio::time::interval(PROGRESS_EVERY);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        let opened = tokio::select! {
            _ = shutdown.cancelled() => return Ok(out.interrupted()),
            opened = client.open_events(id, last) => opened,
        };
        let why = match opened {
            Err(e @ CallError::Refused { .. }) => return Err(e),
            Err(e) => e.to_string(),
            Ok(response) => {
                let mut stream = EventStream::new(response, idle);
                loop {
                    tokio::select! {
                        _ = shutdown.cancelled() => return Ok(out.interrupted()),
                        _ = tick.tick() => {
                            // A failed refresh only skips this tick: the stream says what matters.
                            if let Ok(run) = client.get_run(id).await {
                                out.progress(&run);
                            }
                        }
                        next = stream.next() => match next {
                            Ok(Some(frames)) => {
                                for frame in frames {
                                    let event = frame.run_event().map_err(|e| CallError::Invalid {
                                        what: "read the event stream",
                                        detail: e.to_string(),
                                    })?;
                                    if let Some(i) = frame.event_id() {
                                        if last.is_some_and(|l| i <= l) {
                                            continue;
                                        }
                                        last = Some(i);
                                    }
                                    failures = 0;
                                    out.event(&event);
                                }
                            }
                            Ok(None) => break "the server ended the stream before the run ended".to_owned(),
                            Err(e) => break e.to_string(),
                        }
                    }
                }
            }
        };
        // The stream is over: the server ends it once the run has ended.
        let why = match client.get_run(id).await {
            Ok(run) if ended(&run) => {
                out.done(&run);
                return Ok(Followed::Ended(Box::new(run)));
            }
            Ok(_) => why,
            Err(e @ CallError::Refused { .. }) => return Err(e),
            Err(e) => e.to_string(),
        };
        failures += 1;
        if failures > MAX_RECONNECTS {
            out.clear_progress();
            return Err(CallError::Unreachable {
                what: "follow the run's events",
                attempts: failures,
                last: why,
            });
        }
        tracing::debug!(run_id = %id, failures, error.message = %why, "event stream lost; reconnecting");
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(out.interrupted()),
            _ = tokio::time::sleep(backoff(failures)) => {}
        }
    }
}

/// The progress line of a run and what it shows (without the times that tick on).
fn progress_line(run: &wire::RunDetail) -> (String, String) {
    let status = final_status(run);
    let mut key = vec![status.clone(), run.steps.len().to_string()];
    let mut parts = vec![status];
    match run.steps.last() {
        Some(s) => {
            parts.push(format!(
                "{} step(s), last {} ({})",
                run.steps.len(),
                s.name,
                s.status
            ));
            key.push(format!("{}/{}", s.name, s.status));
        }
        None => parts.push("no steps yet".to_owned()),
    }
    if let Some(w) = run.waits.iter().find(|w| w.ended_at.is_none()) {
        let mut wait = format!("waiting for {}", w.signal);
        if w.pausing {
            wait.push_str(&format!(
                " (budget paused {})",
                format::duration_ms(w.paused_ms.unwrap_or(0))
            ));
        }
        key.push(format!("wait {} {}", w.seq, w.pausing));
        parts.push(wait);
    }
    if let Some(b) = show::budget(&run.engine, Utc::now()) {
        parts.push(format!("budget {b}"));
    }
    (key.join("|"), format!("progress  {}", parts.join(" · ")))
}

/// Where `follow` writes: events (JSON lines with `--json`), the progress line (redrawn in place
/// on a terminal, a new line when it changes otherwise) and the end.
struct Output {
    json: bool,
    tty: bool,
    shown: Option<String>,
    drawn: bool,
}

impl Output {
    fn new(json: bool) -> Self {
        Self {
            json,
            tty: std::io::stdout().is_terminal(),
            shown: None,
            drawn: false,
        }
    }

    fn header(&mut self, run: &wire::RunDetail) {
        if self.json {
            return;
        }
        let r = &run.run;
        println!(
            "following run {} ({} · {} · {}), {} now; Ctrl-C stops following, not the run",
            r.id,
            format::kind(r),
            r.repository,
            format::thread(r),
            final_status(run)
        );
    }

    fn clear_progress(&mut self) {
        if self.drawn {
            print!("\r\x1b[2K");
            let _ = std::io::stdout().flush();
            self.drawn = false;
        }
    }

    fn event(&mut self, event: &wire::RunEvent) {
        if self.json {
            match serde_json::to_string(event) {
                Ok(line) => println!("{line}"),
                Err(e) => eprintln!("an event could not be encoded: {e}"),
            }
            return;
        }
        // On a terminal the progress line comes back below the event on the next refresh.
        self.clear_progress();
        println!("{}", format::event_line(event));
    }

    fn progress(&mut self, run: &wire::RunDetail) {
        if self.json {
            return;
        }
        let (key, line) = progress_line(run);
        if self.tty {
            self.clear_progress();
            print!("{line}");
            let _ = std::io::stdout().flush();
            self.drawn = true;
        } else if self.shown.as_deref() != Some(key.as_str()) {
            println!("{line}");
        }
        self.shown = Some(key);
    }

    fn done(&mut self, run: &wire::RunDetail) {
        self.clear_progress();
        let r = &run.run;
        let took = format::took(r, Utc::now());
        let mut line = format!("run {} {} after {took}", r.id, final_status(run));
        if let Some(reason) = &run.engine.end_reason {
            line.push_str(&format!(": {reason}"));
        }
        if self.json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }

    fn interrupted(&mut self) -> Followed {
        self.clear_progress();
        eprintln!("stopped following; the run goes on");
        Followed::Interrupted
    }
}
