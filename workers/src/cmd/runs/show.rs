//! `runs show`: everything `get_run` answers, for a person: a header (what, status, budget,
//! paused time, end reason), the timeline of steps and waits in journal order with durations,
//! attempts and paused time, the events, agent sessions, token usage and links.

use std::fmt::Write;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::format::{self, between, duration_ms};
use crate::api::staff::wire;

/// The whole run as text.
pub(super) fn render(run: &wire::RunDetail, now: DateTime<Utc>) -> String {
    let mut out = header(run, now);
    out.push('\n');
    out.push_str(&timeline(run, now));
    out.push_str(&events(&run.events));
    out.push_str(&sessions(run));
    out.push_str(&links(&run.links));
    out
}

/// Total budget time the run's waits paused (so far).
pub(super) fn paused_ms(run: &wire::RunDetail) -> i64 {
    run.waits.iter().filter_map(|w| w.paused_ms).sum()
}

/// Whether the engine still runs the run (its budget clock may be ticking).
fn live(status: wire::RunStatus) -> bool {
    use wire::RunStatus as S;
    matches!(status, S::Pending | S::Running | S::Waiting | S::Parked)
}

/// `used 12s of 10m00s, 9m48s left`, when the run has a budget. The stored spent time is brought
/// up to date only when the clock stops (a pausing wait, the end); while it runs, `deadline_at`
/// (when the budget runs out if the clock keeps running) tells what is left now.
pub(super) fn budget(engine: &wire::EngineState, now: DateTime<Utc>) -> Option<String> {
    let total = engine.budget_ms?;
    let (used, left) = match engine.deadline_at {
        Some(deadline) if live(engine.status) => {
            let left = (deadline - now).num_milliseconds().clamp(0, total);
            (total - left, left)
        }
        _ => {
            let used = engine.budget_spent_ms.unwrap_or(0);
            (used, engine.budget_remaining_ms.unwrap_or(total - used))
        }
    };
    Some(format!(
        "used {} of {}, {} left",
        duration_ms(used),
        duration_ms(total),
        duration_ms(left)
    ))
}

fn header(run: &wire::RunDetail, now: DateTime<Utc>) -> String {
    let r = &run.run;
    let e = &run.engine;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "run {}  {} · {} ({}) · {}",
        r.id,
        format::kind(r),
        r.project,
        r.repository,
        format::thread(r)
    );
    let mut status = format!("{} (engine: {})", r.status, e.status);
    if let Some(w) = &r.wait_state {
        status.push_str(&format!(", waiting on {w}"));
    }
    let _ = writeln!(out, "  {:<11} {status}", "status");
    if let Some(a) = &r.agent_status {
        let _ = writeln!(out, "  {:<11} {a}", "agent");
    }
    let mut who = format!("role {}", r.role);
    if let Some(t) = &r.trigger {
        who.push_str(&format!(" · trigger {t}"));
    }
    who.push_str(&format!(" · branch {}", r.branch));
    if let Some(pr) = r.pull_request_number {
        who.push_str(&format!(" · PR #{pr}"));
    }
    let _ = writeln!(out, "  {:<11} {who}", "what");
    let mut when = format::time(r.created_at);
    match r.finished_at {
        Some(done) => when.push_str(&format!(
            " → {} (took {})",
            format::time(done),
            between(r.created_at, done)
        )),
        None => when.push_str(&format!(" (running for {})", between(r.created_at, now))),
    }
    let _ = writeln!(out, "  {:<11} {when}", "time");
    let paused = paused_ms(run);
    let mut budget_line = budget(e, now).unwrap_or_else(|| "none".to_owned());
    if paused > 0 || !run.waits.is_empty() {
        budget_line.push_str(&format!(" · paused {}", duration_ms(paused)));
    }
    if let Some(d) = e.deadline_at.filter(|_| live(e.status)) {
        budget_line.push_str(&format!(" · runs out at {}", format::time(d)));
    }
    let _ = writeln!(out, "  {:<11} {budget_line}", "budget");
    if let Some(reason) = &e.end_reason {
        let _ = writeln!(out, "  {:<11} {reason}", "end reason");
    }
    if !e.error.is_null() {
        let _ = writeln!(out, "  {:<11} {}", "error", reason_of(&e.error));
    }
    if !e.parked.is_null() {
        let _ = writeln!(out, "  {:<11} {}", "parked", reason_of(&e.parked));
    }
    out
}

/// `code: message` of an error or parking object, else its JSON.
fn reason_of(v: &Value) -> String {
    let text = |k: &str| v.get(k).and_then(Value::as_str);
    match (text("code"), text("message")) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (None, Some(m)) => m.to_owned(),
        _ => format::value(v),
    }
}

fn step_error(e: &wire::StepError) -> String {
    let mut text = e.message.clone();
    if let Some(cause) = &e.cause {
        text.push_str(&format!(": {cause}"));
    }
    if let Some(status) = e.http_status {
        text.push_str(&format!(" (HTTP {status})"));
    }
    text
}

fn wait_note(w: &wire::Wait, now: DateTime<Utc>) -> String {
    let mut note = match (&w.outcome, w.ended_at) {
        (Some(o), _) => o.clone(),
        (None, Some(_)) => "ended".to_owned(),
        (None, None) => format!("open for {}", between(w.started_at, now)),
    };
    if w.pausing {
        note.push_str(&format!(
            " · budget paused {}",
            duration_ms(w.paused_ms.unwrap_or(0))
        ));
    }
    if let (None, Some(d)) = (w.ended_at, w.deadline_at) {
        note.push_str(&format!(" · deadline {}", format::time(d)));
    }
    note
}

/// One line of the timeline.
struct Row<'a> {
    at: DateTime<Utc>,
    seq: i64,
    what: &'a str,
    name: &'a str,
    status: &'a str,
    attempts: String,
    took: String,
    note: String,
}

impl Row<'_> {
    fn write(&self, out: &mut String, start: DateTime<Utc>) {
        let line = format!(
            "  {:>8}  {:>4}  {:<5} {:<28} {:<10} {:>8} {:>8}  {}",
            format!("+{}", between(start, self.at)),
            self.seq,
            self.what,
            format::cut(self.name, 28),
            self.status,
            self.attempts,
            self.took,
            self.note
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

/// Steps and waits in journal order; a wait's journal entry shows its outcome and paused time,
/// and a wait still open (no entry yet) comes last.
fn timeline(run: &wire::RunDetail, now: DateTime<Utc>) -> String {
    let start = run.run.created_at;
    let mut out = String::from("timeline\n");
    let _ = writeln!(
        out,
        "  {:>8}  {:>4}  {:<5} {:<28} {:<10} {:>8} {:>8}  note",
        "at", "seq", "", "name", "status", "attempts", "took"
    );
    for s in &run.steps {
        let wait = run.waits.iter().find(|w| w.seq == s.seq);
        let (what, name, note) = match wait {
            Some(w) => ("wait", w.signal.as_str(), wait_note(w, now)),
            None => (
                s.kind.as_str(),
                s.name.as_str(),
                s.error.as_ref().map(step_error).unwrap_or_default(),
            ),
        };
        Row {
            at: s.started_at,
            seq: s.seq,
            what,
            name,
            status: &s.status,
            attempts: s.attempts.to_string(),
            took: duration_ms(s.duration_ms),
            note,
        }
        .write(&mut out, start);
    }
    let open = run
        .waits
        .iter()
        .filter(|w| !run.steps.iter().any(|s| s.seq == w.seq));
    for w in open {
        let took = match w.ended_at {
            Some(end) => between(w.started_at, end),
            None => format!("{}…", between(w.started_at, now)),
        };
        Row {
            at: w.started_at,
            seq: w.seq,
            what: "wait",
            name: &w.signal,
            status: if w.ended_at.is_some() {
                "ended"
            } else {
                "waiting"
            },
            attempts: "-".to_owned(),
            took,
            note: wait_note(w, now),
        }
        .write(&mut out, start);
    }
    if run.steps.is_empty() && run.waits.is_empty() {
        out.push_str("  (no steps yet)\n");
    }
    out
}

fn events(events: &[wire::RunEvent]) -> String {
    let mut out = String::from("events\n");
    for e in events {
        let _ = writeln!(out, "  {}", format::event_line(e));
    }
    if events.is_empty() {
        out.push_str("  (none)\n");
    }
    out
}

fn sessions(run: &wire::RunDetail) -> String {
    let mut out = String::new();
    if !run.sessions.is_empty() {
        out.push_str("agent sessions\n");
        for s in &run.sessions {
            let _ = writeln!(
                out,
                "  v{} {}  thread {} · {} · {} bytes · sha256 {}",
                s.version,
                format::time(s.created_at),
                s.thread_id,
                s.file_name,
                s.size_bytes,
                format::cut(&s.sha256, 12)
            );
        }
    }
    let t = &run.token_usage;
    let _ = writeln!(
        out,
        "tokens  {} turn(s) · input {} (cached {}) · output {} (reasoning {}) · total {}",
        t.turns,
        t.input_tokens,
        t.cached_input_tokens,
        t.output_tokens,
        t.reasoning_output_tokens,
        t.total_tokens
    );
    out
}

fn links(l: &wire::RunLinks) -> String {
    let mut out = String::from("links\n");
    let mut line = |name: &str, v: &str| {
        let _ = writeln!(out, "  {name:<13} {v}");
    };
    if let Some(i) = &l.issue {
        line("issue", i);
    }
    if let Some(p) = &l.pull_request {
        line("pull request", p);
    }
    line("branch", &l.branch);
    if let Some(n) = &l.namespace {
        line("namespace", n);
    }
    for r in &l.recorded {
        let mut text = format!("{}  {}", format::time(r.created_at), r.target);
        if !r.metadata.is_empty() {
            text.push_str(&format!("  {}", format::detail(&r.metadata)));
        }
        line(&r.kind.to_string(), &text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(
        now: DateTime<Utc>,
        status: wire::RunStatus,
        spent: i64,
        deadline_in_secs: Option<i64>,
    ) -> wire::EngineState {
        wire::EngineState {
            budget_ms: Some(600_000),
            budget_remaining_ms: Some(600_000 - spent),
            budget_spent_ms: Some(spent),
            deadline_at: deadline_in_secs.map(|s| now + chrono::Duration::seconds(s)),
            end_reason: None,
            error: Value::Null,
            parked: Value::Null,
            status,
        }
    }

    #[test]
    fn a_running_runs_budget_counts_down_to_its_deadline_and_an_ended_one_shows_what_it_spent() {
        let now = Utc::now();
        // The stored spent time is stale while the clock runs: the deadline tells.
        let running = engine(now, wire::RunStatus::Running, 0, Some(540));
        assert_eq!(
            budget(&running, now).unwrap(),
            "used 1m00s of 10m00s, 9m00s left"
        );
        let paused = engine(now, wire::RunStatus::Waiting, 61_000, None);
        assert_eq!(
            budget(&paused, now).unwrap(),
            "used 1m01s of 10m00s, 8m59s left"
        );
        let done = engine(now, wire::RunStatus::Succeeded, 706, Some(100));
        assert_eq!(
            budget(&done, now).unwrap(),
            "used 706ms of 10m00s, 9m59s left"
        );
    }
}
