//! All of the engine's SQL: one function per query file under `engine/queries/<table>/<verb>.sql`.
//! Each function takes its executor explicitly; fenced writes report whether the lease still held.

pub(crate) mod cron_schedule;
pub(crate) mod engine_leader;
pub(crate) mod flow_event;
pub(crate) mod flush;
pub(crate) mod run;
pub(crate) mod signal;
pub(crate) mod step;
pub(crate) mod task;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The size of a value serialized as JSON, counted without building the string.
pub(crate) fn json_size(value: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing a `Value` into a counter cannot fail.
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

/// Whether a recorded step succeeded or failed for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StepStatus {
    Succeeded,
    Failed,
}

impl StepStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            StepStatus::Succeeded => "succeeded",
            StepStatus::Failed => "failed",
        }
    }

    pub(crate) fn parse(s: &str) -> Self {
        if s == "failed" {
            StepStatus::Failed
        } else {
            StepStatus::Succeeded
        }
    }
}

/// What a journal entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryKind {
    Step,
    Sleep,
    Wait,
    Now,
    Uuid,
}

impl EntryKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            EntryKind::Step => "step",
            EntryKind::Sleep => "sleep",
            EntryKind::Wait => "wait",
            EntryKind::Now => "now",
            EntryKind::Uuid => "uuid",
        }
    }

    pub(crate) fn parse(s: &str) -> Self {
        match s {
            "sleep" => EntryKind::Sleep,
            "wait" => EntryKind::Wait,
            "now" => EntryKind::Now,
            "uuid" => EntryKind::Uuid,
            _ => EntryKind::Step,
        }
    }
}

/// A journal entry (a step, sleep, wait, or recorded clock or id) as stored and replayed.
#[derive(Debug, Clone)]
pub(crate) struct StepRecord {
    pub(crate) kind: EntryKind,
    pub(crate) name: String,
    pub(crate) status: StepStatus,
    pub(crate) output: Option<Value>,
    pub(crate) error: Option<Value>,
}

#[cfg(test)]
pub(crate) mod tests;
