//! The runner API's wire types and checks, shared by the endpoints (`api/runner.rs`) and the
//! runner that calls them, so the two cannot drift apart.
//!
//! Snapshots travel as raw bytes (`application/octet-stream`): the upload names its metadata in
//! the query string, the download in `ck8s-session-*` response headers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `GET`: the run's context.
pub const CONTEXT_PATH: &str = "/api/v1/runner/context";
/// `POST`: a heartbeat.
pub const HEARTBEAT_PATH: &str = "/api/v1/runner/heartbeat";
/// `POST`: a short status line.
pub const STATUS_PATH: &str = "/api/v1/runner/status";
/// `POST`: one turn's token usage (running totals).
pub const USAGE_PATH: &str = "/api/v1/runner/usage";
/// `PUT`: a session snapshot upload.
pub const SESSIONS_PATH: &str = "/api/v1/runner/sessions";
/// `GET`: the lineage's latest snapshot.
pub const LATEST_SESSION_PATH: &str = "/api/v1/runner/sessions/latest";
/// `POST`: the agent's outcome, reported once before it exits.
pub const OUTCOME_PATH: &str = "/api/v1/runner/outcome";

/// Response header of a snapshot download: its version.
pub const HEADER_VERSION: &str = "ck8s-session-version";
/// Response header of a snapshot download: its codex thread id.
pub const HEADER_THREAD_ID: &str = "ck8s-thread-id";
/// Response header of a snapshot download: its rollout file name.
pub const HEADER_FILE_NAME: &str = "ck8s-file-name";
/// Response header of a snapshot download: the content's hex sha256.
pub const HEADER_SHA256: &str = "ck8s-sha256";

/// Largest snapshot the platform accepts.
pub const MAX_SNAPSHOT_BYTES: usize = 32 << 20;
/// Longest status line.
pub const MAX_STATUS_CHARS: usize = 200;

/// What a runner needs to know about its run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunContext {
    /// The stage run.
    pub run_id: Uuid,
    /// `owner/name`.
    pub repository: String,
    /// Work branch.
    pub branch: String,
    /// Model id.
    pub model: String,
    /// Reasoning effort (codex names: low, medium, high, xhigh).
    pub reasoning: String,
    /// Agent role.
    pub role: String,
    /// Stage, if a stage run.
    pub stage: Option<String>,
    /// Issue, if any.
    pub issue_number: Option<i64>,
    /// Pull request, if any.
    pub pull_request_number: Option<i64>,
    /// The rendered prompt, once the run rendered it (else the runner reads `CK8S_PROMPT_FILE`).
    pub prompt: Option<String>,
    /// The platform's MCP server (streamable HTTP; the run token is its bearer token).
    pub mcp_url: String,
    /// The run lineage (`<owner/name>#<issue>`): its runs share one codex thread.
    pub lineage: String,
    /// The lineage's latest session snapshot, if any.
    pub session: Option<SessionMeta>,
    /// The commit the workspace's work branch started from, when it is a git checkout: the
    /// base of the write-scope diff before a push.
    #[serde(default)]
    pub base_commit: Option<String>,
}

/// A stored session snapshot, without its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionMeta {
    /// codex thread (session) id.
    pub thread_id: String,
    /// Version within the lineage, from 1.
    pub version: i32,
    /// The rollout file name, to restore it under.
    pub file_name: String,
    /// Hex sha256 of the content.
    pub sha256: String,
    /// Content length.
    pub size_bytes: i64,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
}

/// Answer to a heartbeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeartbeatReply {
    /// The run's status as the platform sees it.
    pub run_status: String,
}

/// A short status line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusReport {
    /// At most [`MAX_STATUS_CHARS`] characters on one line.
    pub status: String,
}

/// One turn's token usage as codex reports it: the thread's running totals after the turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageReport {
    /// codex thread id.
    pub thread_id: String,
    /// The turn's number within the thread, from 0 (repeating a report is harmless).
    pub turn: i32,
    /// Running total of input tokens.
    pub input_tokens: i64,
    /// Running total of cached input tokens.
    pub cached_input_tokens: i64,
    /// Running total of output tokens.
    pub output_tokens: i64,
    /// Running total of reasoning output tokens.
    pub reasoning_output_tokens: i64,
}

/// Token counts of one turn, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenDelta {
    /// Input tokens.
    pub input_tokens: i64,
    /// Cached input tokens.
    pub cached_input_tokens: i64,
    /// Output tokens.
    pub output_tokens: i64,
    /// Reasoning output tokens.
    pub reasoning_output_tokens: i64,
    /// Input plus output tokens.
    pub total_tokens: i64,
}

/// Answer to a usage report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageReply {
    /// False when this turn was already recorded.
    pub recorded: bool,
    /// The turn's stored delta.
    pub delta: TokenDelta,
}

/// The agent's outcome, reported before it exits: stored durably for its launch attempt (the run
/// token names the attempt), so any worker can read it after the one that launched the agent died.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeReport {
    /// The exit status the agent is about to exit with (0: its work is done).
    pub exit_code: i32,
    /// Its final message, if any.
    #[serde(default)]
    pub final_message: Option<String>,
    /// The pull request it opened or updated, if any.
    #[serde(default)]
    pub pull_request: Option<u64>,
}

/// Answer to an outcome report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeReply {
    /// The launch attempt the outcome was stored for.
    pub attempt: u32,
    /// False when this exact report was already stored (a retry).
    pub recorded: bool,
}

/// Query string of a snapshot upload; the body is the rollout file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotUpload {
    /// codex thread id.
    pub thread_id: String,
    /// The rollout file name (`rollout-<timestamp>-<thread_id>.jsonl`).
    pub file_name: String,
    /// The version this upload replaces; 0 when the lineage has none yet.
    pub expected_version: i32,
    /// Hex sha256 of the body.
    pub sha256: String,
}

/// Answer to a snapshot upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotSaved {
    /// The version stored.
    pub version: i32,
    /// Hex sha256 of the content.
    pub sha256: String,
    /// Content length.
    pub size_bytes: i64,
    /// True when this exact upload had already been stored (a retry).
    pub replayed: bool,
}

/// A codex thread id: 1–64 characters of `[0-9A-Za-z-]` (codex uses UUIDs).
pub fn check_thread_id(thread_id: &str) -> Result<(), String> {
    let ok = !thread_id.is_empty()
        && thread_id.len() <= 64
        && thread_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    ok.then_some(())
        .ok_or_else(|| "thread_id must be 1-64 characters of [0-9A-Za-z-]".to_owned())
}

/// A rollout file name as codex writes it for the thread: `rollout-<…>-<thread_id>.jsonl`, a
/// plain file name (codex refuses to resume from any other name).
pub fn check_file_name(thread_id: &str, file_name: &str) -> Result<(), String> {
    let plain = file_name.len() <= 200
        && file_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let canonical = file_name.starts_with("rollout-")
        && file_name.ends_with(&format!("-{thread_id}.jsonl"))
        && !file_name.contains("..");
    (plain && canonical).then_some(()).ok_or_else(|| {
        "file_name must be the thread's rollout file name (rollout-<timestamp>-<thread_id>.jsonl)"
            .to_owned()
    })
}

/// A lowercase hex sha256.
pub fn check_sha256(sha256: &str) -> Result<(), String> {
    let ok = sha256.len() == 64
        && sha256
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
    ok.then_some(())
        .ok_or_else(|| "sha256 must be 64 lowercase hex digits".to_owned())
}

/// A status line: one line, 1–[`MAX_STATUS_CHARS`] characters after trimming.
pub fn check_status(status: &str) -> Result<&str, String> {
    let status = status.trim();
    if status.is_empty() || status.chars().count() > MAX_STATUS_CHARS {
        return Err(format!("status must be 1-{MAX_STATUS_CHARS} characters"));
    }
    if status.chars().any(char::is_control) {
        return Err("status must be one line without control characters".into());
    }
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    const THREAD: &str = "01a21b0a-dbcb-7140-95dd-f3f731a06805";

    #[test]
    fn only_canonical_rollout_names_of_the_thread_pass() {
        let good = format!("rollout-2026-11-27T11-33-23-{THREAD}.jsonl");
        assert!(check_file_name(THREAD, &good).is_ok());
        for bad in [
            "rollout-renamed.jsonl".to_owned(),
            format!("../rollout-x-{THREAD}.jsonl"),
            format!("rollout-a/b-{THREAD}.jsonl"),
            format!("rollout-x-{THREAD}.json"),
            format!("session-x-{THREAD}.jsonl"),
        ] {
            assert!(check_file_name(THREAD, &bad).is_err(), "{bad}");
        }
        assert!(check_thread_id(THREAD).is_ok());
        assert!(check_thread_id("a/b").is_err());
        assert!(check_thread_id("").is_err());
    }

    #[test]
    fn status_lines_and_checksums_are_checked() {
        assert_eq!(check_status("  running turn 1 "), Ok("running turn 1"));
        assert!(check_status("").is_err());
        assert!(check_status("two\nlines").is_err());
        assert!(check_status(&"x".repeat(MAX_STATUS_CHARS + 1)).is_err());
        assert!(check_sha256(&"a".repeat(64)).is_ok());
        assert!(check_sha256(&"A".repeat(64)).is_err());
        assert!(check_sha256("abc").is_err());
    }
}
