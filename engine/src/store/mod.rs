//! All of the engine's SQL: one function per query file under `engine/queries/<table>/<verb>.sql`.
//! Each function takes its executor explicitly; fenced writes report whether the lease still held.

pub(crate) mod cron_schedule;
pub(crate) mod flow_event;
pub(crate) mod run;
pub(crate) mod signal;
pub(crate) mod step;
pub(crate) mod task;

use serde::{Deserialize, Serialize};
use serde_json::Value;

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

/// A step as stored in the history and returned on replay.
#[derive(Debug, Clone)]
pub(crate) struct StepRecord {
    pub(crate) name: String,
    pub(crate) status: StepStatus,
    pub(crate) output: Option<Value>,
    pub(crate) error: Option<Value>,
}

#[cfg(test)]
mod tests;
