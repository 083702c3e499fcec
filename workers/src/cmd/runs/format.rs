//! How `runs` writes times, durations, ids and event details for a person.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::api::staff::wire;

/// Most characters of an event's details on one line.
const DETAIL_CHARS: usize = 160;

/// A duration for a person: `850ms`, `12.3s`, `4m05s`, `2h03m`, `3d04h`.
pub(super) fn duration_ms(ms: i64) -> String {
    let ms = ms.max(0);
    let secs = ms / 1000;
    match ms {
        0..1_000 => format!("{ms}ms"),
        1_000..60_000 => format!("{:.1}s", ms as f64 / 1000.0),
        60_000..3_600_000 => format!("{}m{:02}s", secs / 60, secs % 60),
        3_600_000..86_400_000 => format!("{}h{:02}m", secs / 3600, secs % 3600 / 60),
        _ => format!("{}d{:02}h", secs / 86_400, secs % 86_400 / 3600),
    }
}

/// The time between two instants.
pub(super) fn between(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    duration_ms((to - from).num_milliseconds())
}

/// A point in time, to the second, in UTC.
pub(super) fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%SZ").to_string()
}

/// A time of day to the millisecond, in UTC (event lines).
pub(super) fn clock(at: DateTime<Utc>) -> String {
    at.format("%H:%M:%S%.3f").to_string()
}

/// What a run is about: `#7` (an Issue), `PR #12`, or `-`.
pub(super) fn thread(run: &wire::RunSummary) -> String {
    match (run.issue_number, run.pull_request_number) {
        (Some(i), _) => format!("#{i}"),
        (None, Some(p)) => format!("PR #{p}"),
        (None, None) => "-".to_owned(),
    }
}

/// `kind/stage` (or the kind alone).
pub(super) fn kind(run: &wire::RunSummary) -> String {
    match &run.stage {
        Some(stage) => format!("{}/{stage}", run.kind),
        None => run.kind.clone(),
    }
}

/// How long a run took, or has taken so far (`…` marks a run still going).
pub(super) fn took(run: &wire::RunSummary, now: DateTime<Utc>) -> String {
    match run.finished_at {
        Some(done) => between(run.created_at, done),
        None => format!("{}…", between(run.created_at, now)),
    }
}

/// A JSON value on one line: strings bare, the rest as JSON.
pub(super) fn value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    }
}

/// An event's details as `key=value …` on one line, cut at a readable length.
pub(super) fn detail(map: &Map<String, Value>) -> String {
    let text = map
        .iter()
        .map(|(k, v)| format!("{k}={}", value(v)))
        .collect::<Vec<_>>()
        .join(" ");
    cut(&text.replace('\n', " "), DETAIL_CHARS)
}

/// `text` cut to `max` characters, ending in `…` when cut.
pub(super) fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// One event as a line: time, kind, step and attempt, details.
pub(super) fn event_line(e: &wire::RunEvent) -> String {
    let mut at = String::new();
    if let Some(seq) = e.step_seq {
        at.push_str(&format!("step {seq}"));
    }
    if let Some(attempt) = e.attempt {
        if !at.is_empty() {
            at.push(' ');
        }
        at.push_str(&format!("attempt {attempt}"));
    }
    format!(
        "{}  {:<24} {:<16} {}",
        clock(e.at),
        e.kind,
        at,
        detail(&e.detail)
    )
    .trim_end()
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_at_a_glance() {
        let cases = [
            (-5, "0ms"),
            (850, "850ms"),
            (12_340, "12.3s"),
            (245_000, "4m05s"),
            (7_380_000, "2h03m"),
            (273_600_000, "3d04h"),
        ];
        for (ms, text) in cases {
            assert_eq!(duration_ms(ms), text, "{ms}");
        }
    }

    #[test]
    fn details_are_one_line_and_cut() {
        let map = serde_json::json!({ "step": "launch", "n": 2, "why": "a\nb" });
        let Value::Object(map) = map else {
            unreachable!()
        };
        assert_eq!(detail(&map), "n=2 step=launch why=a b");
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
    }
}
