//! The push of the agent's work (ADR 0018), run by the runner after codex exited; codex never
//! holds a write token.
//!
//! Before codex starts, the runner registers the sha256 of a random key it keeps only in memory
//! ([`register`]). After codex exited ([`deliver`]): it lists what changed in the checkout against
//! the workspace's base (committed, staged, unstaged, untracked), asks the platform for the push
//! credential with the key, those paths and the commit (the platform checks the stage's write
//! scope on the paths: a violation pushes nothing and names them), copies the commit into a fresh
//! bare repository of its own (so no configuration or hook the agent wrote in the checkout takes
//! part), and pushes the work branch from there to the repository's URL. The password reaches
//! only that one git process, through its environment, read by a credential helper given with
//! `-c`: never a URL, an argument, a file or a log line.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    client::{Call, CallError, PlatformClient},
    reporter::Reporter,
    wire::RunContext,
};

/// `POST`: register the launch's push key (before codex starts).
pub const PUSH_KEY_PATH: &str = "/api/v1/runner/push/key";
/// `POST`: the push credential, after codex exited.
pub const PUSH_CREDENTIAL_PATH: &str = "/api/v1/runner/push/credential";
/// `POST`: report the push made with it.
pub const PUSHED_PATH: &str = "/api/v1/runner/push/done";

/// Body of [`PUSH_KEY_PATH`].
#[derive(Debug, Serialize, Deserialize)]
pub struct PushKeyRegistration {
    /// The key (32-128 letters or digits); only its sha256 is stored.
    pub key: String,
}

/// Body of [`PUSH_CREDENTIAL_PATH`].
#[derive(Debug, Serialize, Deserialize)]
pub struct CredentialRequest {
    /// The registered key.
    pub key: String,
    /// The commit to push.
    pub head: String,
    /// Paths changed against the base: committed, staged, unstaged, untracked.
    pub changed: Vec<String>,
}

/// Answer of [`PUSH_CREDENTIAL_PATH`]; `Debug` hides the password.
#[derive(Serialize, Deserialize)]
pub struct CredentialReply {
    /// `owner/name`.
    pub repository: String,
    /// Where to push (no credential in it).
    pub push_url: String,
    /// The only branch to push.
    pub branch: String,
    /// Basic-auth user.
    pub username: String,
    /// Basic-auth password (the token).
    pub password: String,
    /// End of validity.
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for CredentialReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialReply")
            .field("repository", &self.repository)
            .field("push_url", &self.push_url)
            .field("branch", &self.branch)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Body of [`PUSHED_PATH`].
#[derive(Debug, Serialize, Deserialize)]
pub struct PushedReport {
    /// The pushed commit.
    pub head: String,
    /// The commits new on the branch since the base, newest first.
    pub commits: Vec<String>,
}

/// The launch's push key: random, in this process's memory only.
pub(super) struct PushKey(String);

impl PushKey {
    /// A fresh key of 256 bits.
    pub(super) fn generate() -> Self {
        Self(format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        ))
    }
}

/// Limit of a local git command.
const LOCAL_TIMEOUT: Duration = Duration::from_secs(120);
/// Limit of the push.
const PUSH_TIMEOUT: Duration = Duration::from_secs(300);

/// Runs git through the platform's one git runner (empty environment, no configuration, hooks
/// or prompt; the password only through the credential helper).
async fn git(
    dir: &Path,
    args: &[&str],
    password: Option<&str>,
    timeout: Duration,
) -> anyhow::Result<String> {
    Ok(workflows::runtime::run_git(dir, args, password, timeout).await?)
}

/// Registers the key; a failure is logged (the push will then be refused, visibly).
pub(super) async fn register(client: &PlatformClient, key: &PushKey) {
    let body = PushKeyRegistration { key: key.0.clone() };
    if let Err(e) = client
        .post_json::<_, ()>(Call::new("register the push key", 3), PUSH_KEY_PATH, &body)
        .await
    {
        tracing::error!(error.message = %e, "push key registration failed: this run cannot push");
    }
}

/// What a delivery did.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Delivered {
    /// Not a git checkout, or no commit since the base.
    Nothing,
    /// The platform refused (the write scope names the paths): nothing was pushed.
    Refused(String),
    /// Pushed this commit.
    Pushed(String),
}

/// Pushes the agent's commits on the work branch, after codex exited; a failure is also told as
/// the run's status line.
pub(super) async fn deliver(
    client: &PlatformClient,
    reporter: &Reporter,
    ctx: &RunContext,
    workdir: &Path,
    key: &PushKey,
) -> anyhow::Result<Delivered> {
    let delivered = try_deliver(client, reporter, ctx, workdir, key).await;
    if let Err(e) = &delivered {
        reporter.status(&format!("push failed: {e:#}")).await;
    }
    delivered
}

async fn try_deliver(
    client: &PlatformClient,
    reporter: &Reporter,
    ctx: &RunContext,
    workdir: &Path,
    key: &PushKey,
) -> anyhow::Result<Delivered> {
    let Some(base) = ctx.base_commit.as_deref() else {
        tracing::info!("the workspace is not a git checkout: nothing to push");
        return Ok(Delivered::Nothing);
    };
    let head = git(
        workdir,
        &["rev-parse", "--verify", "HEAD^{commit}"],
        None,
        LOCAL_TIMEOUT,
    )
    .await
    .context("read the checkout's HEAD")?;
    let changed = workflows::runtime::changed_files(workdir, base, LOCAL_TIMEOUT)
        .await
        .context("list the changed paths")?;
    if head == base {
        if !changed.is_empty() {
            tracing::warn!(
                paths = changed.len(),
                "the agent left changes uncommitted: nothing to push"
            );
        }
        return Ok(Delivered::Nothing);
    }
    let request = CredentialRequest {
        key: key.0.clone(),
        head: head.clone(),
        changed,
    };
    let credential: CredentialReply = match client
        .post_json(
            Call::new("fetch the push credential", 3),
            PUSH_CREDENTIAL_PATH,
            &request,
        )
        .await
    {
        Ok(c) => c,
        Err(CallError::Refused { code, detail, .. }) if code == "write-scope-violation" => {
            tracing::warn!(reason = %detail, "push refused: nothing was pushed");
            reporter.status(&format!("push refused: {detail}")).await;
            return Ok(Delivered::Refused(detail));
        }
        Err(e) => return Err(e).context("fetch the push credential"),
    };
    let outbox = std::env::temp_dir().join(format!("ck8s-push-{}", uuid::Uuid::new_v4().simple()));
    let result = push_from(&outbox, workdir, base, &head, &credential).await;
    let _ = std::fs::remove_dir_all(&outbox);
    let commits = result?;
    tracing::info!(branch = %credential.branch, head = %head, commits = commits.len(), "work branch pushed");
    client
        .post_json::<_, ()>(
            Call::new("report the push", 3),
            PUSHED_PATH,
            &PushedReport {
                head: head.clone(),
                commits,
            },
        )
        .await
        .context("report the push")?;
    reporter
        .status(&format!("pushed {}", credential.branch))
        .await;
    Ok(Delivered::Pushed(head))
}

/// Copies `head` into a fresh bare repository at `outbox` and pushes it from there.
async fn push_from(
    outbox: &PathBuf,
    workdir: &Path,
    base: &str,
    head: &str,
    credential: &CredentialReply,
) -> anyhow::Result<Vec<String>> {
    std::fs::create_dir_all(outbox).context("create the push directory")?;
    let branch_ref = format!("refs/heads/{}", credential.branch);
    let source = workdir.to_string_lossy().into_owned();
    git(outbox, &["init", "--bare", "-q"], None, LOCAL_TIMEOUT).await?;
    git(
        outbox,
        &[
            "fetch",
            "-q",
            "--no-tags",
            &source,
            &format!("+HEAD:{branch_ref}"),
        ],
        None,
        LOCAL_TIMEOUT,
    )
    .await
    .context("copy the work into the push directory")?;
    let fetched = git(outbox, &["rev-parse", &branch_ref], None, LOCAL_TIMEOUT).await?;
    if fetched != head {
        bail!("the checkout's HEAD moved while it was copied ({fetched} is not {head})");
    }
    let commits = match git(
        outbox,
        &["rev-list", head, "--not", base],
        None,
        LOCAL_TIMEOUT,
    )
    .await
    {
        Ok(list) => list.lines().map(str::to_owned).collect(),
        Err(_) => vec![head.to_owned()],
    };
    if Utc::now() >= credential.expires_at {
        bail!("the push credential expired before the push");
    }
    git(
        outbox,
        &[
            "push",
            "-q",
            "--no-verify",
            &credential.push_url,
            &format!("{branch_ref}:{branch_ref}"),
        ],
        Some(&credential.password),
        PUSH_TIMEOUT,
    )
    .await
    .context("push the work branch")?;
    Ok(commits)
}
