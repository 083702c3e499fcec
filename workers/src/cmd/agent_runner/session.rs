//! The codex session (its rollout file) between runs of a lineage: restored from the lineage's
//! latest snapshot before codex starts, uploaded as the next version after every turn.
//!
//! codex 0.171.0 resumes a thread from `sessions/**/rollout-<timestamp>-<thread_id>.jsonl` and
//! refuses any other file name, so the file is restored under its own name, in the date directory
//! its name carries. The rollout file is the source of truth; codex's sqlite indexes are rebuilt.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use reqwest::Method;
use serde_json::Value;
use workflows::store::agent_session::sha256_hex;

use super::{
    client::{Call, CallError, PlatformClient, TRANSFER_TIMEOUT},
    wire::{self, SessionMeta, SnapshotSaved, SnapshotUpload},
};

/// A session restored into the codex home.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Restored {
    /// The thread to resume.
    pub(super) thread_id: String,
    /// Where the rollout file now is.
    pub(super) path: PathBuf,
    /// The snapshot's version (the next upload replaces it).
    pub(super) version: i32,
    /// The snapshot's sha256.
    pub(super) sha256: String,
    /// Turns the thread already had.
    pub(super) turns: i32,
}

/// `sessions/YYYY/MM/DD/` for `rollout-YYYY-MM-DDThh-mm-ss-<uuid>.jsonl` (as codex files it), or
/// `sessions/` itself when the name carries no date.
pub(super) fn restore_dir(sessions: &Path, file_name: &str) -> PathBuf {
    let date = file_name
        .strip_prefix("rollout-")
        .and_then(|rest| rest.get(..10))
        .map(|d| d.split('-').collect::<Vec<_>>());
    match date.as_deref() {
        Some([y, m, d])
            if y.len() == 4
                && m.len() == 2
                && d.len() == 2
                && [y, m, d]
                    .iter()
                    .all(|p| p.chars().all(|c| c.is_ascii_digit())) =>
        {
            sessions.join(y).join(m).join(d)
        }
        _ => sessions.to_path_buf(),
    }
}

/// Turns in a rollout file: its `task_started` events.
pub(super) fn count_turns(content: &[u8]) -> i32 {
    content
        .split(|b| *b == b'\n')
        .filter_map(|line| serde_json::from_slice::<Value>(line).ok())
        .filter(|v| {
            v.get("type").and_then(Value::as_str) == Some("event_msg")
                && v.pointer("/payload/type").and_then(Value::as_str) == Some("task_started")
        })
        .count() as i32
}

/// The length of the complete lines of `content`: a codex killed mid-write leaves a partial last
/// line, which must not reach the snapshot (codex could not resume from it).
pub(super) fn complete_lines(content: &[u8]) -> usize {
    content
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1)
}

/// The thread's rollout file under `sessions`, if codex wrote one (the largest if several).
pub(super) fn find_rollout(sessions: &Path, thread_id: &str) -> Option<PathBuf> {
    let suffix = format!("-{thread_id}.jsonl");
    let mut found: Option<(u64, PathBuf)> = None;
    let mut stack = vec![sessions.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                stack.push(path);
            } else if entry.file_name().to_string_lossy().ends_with(&suffix)
                && entry.file_name().to_string_lossy().starts_with("rollout-")
            {
                let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
                if found.as_ref().is_none_or(|(s, _)| size > *s) {
                    found = Some((size, path));
                }
            }
        }
    }
    found.map(|(_, p)| p)
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> anyhow::Result<&'a str> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .with_context(|| format!("the snapshot download has no {name} header"))
}

/// Downloads the lineage's latest snapshot and writes it into `sessions`.
pub(super) async fn restore(
    client: &PlatformClient,
    sessions: &Path,
    expected: &SessionMeta,
) -> anyhow::Result<Restored> {
    let call = Call::new("download the session snapshot", 5).timeout(TRANSFER_TIMEOUT);
    let response = client
        .send(call, || {
            client.request(Method::GET, wire::LATEST_SESSION_PATH)
        })
        .await?;
    let thread_id = header(&response, wire::HEADER_THREAD_ID)?.to_owned();
    let file_name = header(&response, wire::HEADER_FILE_NAME)?.to_owned();
    let sha256 = header(&response, wire::HEADER_SHA256)?.to_owned();
    let version: i32 = header(&response, wire::HEADER_VERSION)?
        .parse()
        .context("the snapshot version is not a number")?;
    wire::check_thread_id(&thread_id)
        .and_then(|()| wire::check_file_name(&thread_id, &file_name))
        .map_err(anyhow::Error::msg)?;
    let content = response
        .bytes()
        .await
        .context("download the session snapshot")?;
    if sha256_hex(&content) != sha256 {
        bail!("the session snapshot's sha256 does not match its content");
    }
    if version != expected.version || thread_id != expected.thread_id {
        tracing::warn!(
            expected_version = expected.version,
            version,
            "the lineage's latest snapshot changed since the context was read; restoring the latest"
        );
    }
    let dir = restore_dir(sessions, &file_name);
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    let path = dir.join(&file_name);
    std::fs::write(&path, &content).with_context(|| format!("write {}", path.display()))?;
    Ok(Restored {
        thread_id,
        path,
        version,
        sha256,
        turns: count_turns(&content),
    })
}

/// Uploads the rollout file as the lineage's next version, skipping unchanged content.
#[derive(Debug, Clone, Default)]
pub(super) struct Uploader {
    version: i32,
    last_sha256: Option<String>,
}

/// What an upload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Upload {
    /// The content is what was uploaded (or restored) last.
    Unchanged,
    /// Stored as this version.
    Stored(SnapshotSaved),
}

impl Uploader {
    /// An uploader continuing from a restored snapshot (or from none).
    pub(super) fn new(restored: Option<&Restored>) -> Self {
        Self {
            version: restored.map_or(0, |r| r.version),
            last_sha256: restored.map(|r| r.sha256.clone()),
        }
    }

    /// The version the next upload replaces.
    pub(super) fn version(&self) -> i32 {
        self.version
    }

    /// Uploads `path` (the thread's rollout file) unless its content is unchanged.
    pub(super) async fn upload(
        &mut self,
        client: &PlatformClient,
        thread_id: &str,
        path: &Path,
    ) -> anyhow::Result<Upload> {
        let mut content =
            std::fs::read(path).with_context(|| format!("read {}", path.display()))?;
        content.truncate(complete_lines(&content));
        if content.is_empty() {
            return Ok(Upload::Unchanged);
        }
        let sha256 = sha256_hex(&content);
        if self.last_sha256.as_deref() == Some(sha256.as_str()) {
            return Ok(Upload::Unchanged);
        }
        if content.len() > wire::MAX_SNAPSHOT_BYTES {
            bail!(
                "the rollout file is {} bytes, over the platform's {} byte limit",
                content.len(),
                wire::MAX_SNAPSHOT_BYTES
            );
        }
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .context("the rollout path has no file name")?;
        wire::check_thread_id(thread_id)
            .and_then(|()| wire::check_file_name(thread_id, &file_name))
            .map_err(anyhow::Error::msg)?;
        // Checked above: every value is URL-safe as it is.
        let q = SnapshotUpload {
            thread_id: thread_id.to_owned(),
            file_name,
            expected_version: self.version,
            sha256: sha256.clone(),
        };
        let target = format!(
            "{}?thread_id={}&file_name={}&expected_version={}&sha256={}",
            wire::SESSIONS_PATH,
            q.thread_id,
            q.file_name,
            q.expected_version,
            q.sha256
        );
        let call = Call::new("upload the session snapshot", 5).timeout(TRANSFER_TIMEOUT);
        let response = client
            .send(call, || {
                client
                    .request(Method::PUT, &target)
                    .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                    .body(content.clone())
            })
            .await?;
        let saved: SnapshotSaved = response.json().await.map_err(|e| CallError::Invalid {
            what: call.what,
            detail: e.to_string(),
        })?;
        self.version = saved.version;
        self.last_sha256 = Some(sha256);
        Ok(Upload::Stored(saved))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const THREAD: &str = "01a21cc8-1139-7ae1-a9d1-b4f21fafb8e9";

    #[test]
    fn a_rollout_goes_back_to_its_date_directory() {
        let s = Path::new("/h/sessions");
        assert_eq!(
            restore_dir(s, &format!("rollout-2026-11-27T11-33-23-{THREAD}.jsonl")),
            Path::new("/h/sessions/2026/11/27")
        );
        assert_eq!(restore_dir(s, "rollout-x.jsonl"), s);
    }

    #[test]
    fn turns_are_counted_from_task_started_events() {
        let content = [
            r#"{"type":"session_meta","payload":{}}"#,
            r#"{"type":"event_msg","payload":{"type":"task_started"}}"#,
            r#"{"type":"event_msg","payload":{"type":"task_complete"}}"#,
            "not json",
            r#"{"type":"event_msg","payload":{"type":"task_started"}}"#,
        ]
        .join("\n");
        assert_eq!(count_turns(content.as_bytes()), 2);
        assert_eq!(count_turns(b""), 0);
    }

    #[test]
    fn a_partial_last_line_is_left_out() {
        assert_eq!(complete_lines(b"{}\n{\"a\""), 3);
        assert_eq!(complete_lines(b"{}\n{}\n"), 6);
        assert_eq!(complete_lines(b"{\"a\""), 0);
    }

    #[test]
    fn the_threads_rollout_is_found_anywhere_under_sessions() {
        let root = std::env::temp_dir().join(format!("ck8s-sessions-{}", uuid::Uuid::new_v4()));
        let dir = root.join("2026/11/27");
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(format!("rollout-2026-11-27T11-33-23-{THREAD}.jsonl"));
        std::fs::write(&file, "{}").unwrap();
        std::fs::write(dir.join("rollout-2026-11-27T11-33-23-other.jsonl"), "{}").unwrap();
        assert_eq!(find_rollout(&root, THREAD), Some(file));
        assert_eq!(find_rollout(&root, "missing"), None);
        std::fs::remove_dir_all(root).unwrap();
    }
}
