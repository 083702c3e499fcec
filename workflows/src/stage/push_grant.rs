//! The push credential of a stage run (ADR 0018). The agent never holds a write token: after
//! codex exited, its runner shows the key it registered before codex started, the paths the work
//! changed (committed and uncommitted, against the workspace's base) and the commit it will push;
//! the platform checks the stage's write scope on those paths and hands out, once per launch, a
//! credential valid for [`VALIDITY`], bound to the run's repository and work branch, backed by the
//! repository binding's own token (sealed in the vault) or else the platform-wide token.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::shape::{Shape, outside_scope};
use crate::{
    platform::Platform,
    store::{
        agent_run,
        link::{self, LinkKind},
        push_grant,
    },
    vault::{Plain, Vault},
};

/// How long a push credential is valid once handed out.
pub const VALIDITY: Duration = Duration::from_secs(10 * 60);

/// The user name git sends with a token (GitHub ignores it).
pub(super) const USERNAME: &str = "x-access-token";

/// What a runner asks for, after its agent exited.
#[derive(Debug)]
pub struct PushRequest<'a> {
    /// The launch (sha256 of its run token).
    pub token_sha256: &'a str,
    /// The key the runner registered before it started codex.
    pub key: &'a str,
    /// The commit it will push.
    pub head: &'a str,
    /// Paths changed against the base: committed, staged, unstaged, untracked.
    pub changed: &'a [String],
}

/// A push credential: where to push, and with what. `Debug` never shows the password.
#[derive(Debug)]
pub struct PushCredential {
    /// `owner/name`.
    pub repository: String,
    /// The clone URL to push to (no credential in it).
    pub push_url: String,
    /// The only branch the runner pushes.
    pub branch: String,
    /// The basic-auth user name.
    pub username: String,
    /// The basic-auth password (the token).
    pub password: Plain,
    /// The end of its validity.
    pub expires_at: DateTime<Utc>,
}

/// Why no credential (or no push record) was given.
#[derive(Debug, thiserror::Error)]
pub enum PushRefusal {
    /// This launch registered no key.
    #[error("this launch registered no push key")]
    NotRegistered,
    /// The key is not the registered one, or the credential was already handed out.
    #[error("the push key does not match or the credential was already issued")]
    Spent,
    /// The run is not running (ended, or not started).
    #[error("the run is {0}, not running")]
    NotRunning(String),
    /// The changes leave the stage's write scope; names the paths.
    #[error("this stage may not change {}", .0.join(", "))]
    WriteScope(Vec<String>),
    /// The repository has no clone URL (not a git checkout).
    #[error("the repository has no clone URL")]
    NoCheckout,
    /// Neither the repository binding nor the platform has a token.
    #[error("no token to push with: bind the repository with a token or set the platform token")]
    NoToken,
    /// A field is malformed; names it.
    #[error("{0}")]
    Invalid(String),
}

/// Why the operation itself failed.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// A database operation.
    #[error(transparent)]
    Store(#[from] crate::Error),
    /// Opening the repository's token.
    #[error(transparent)]
    Directory(#[from] crate::directory::DirectoryError),
    /// Reading the repository from GitHub.
    #[error(transparent)]
    GitHub(#[from] crate::github::Error),
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn check_key(key: &str) -> Result<(), PushRefusal> {
    if key.len() < 32 || key.len() > 128 || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(PushRefusal::Invalid(
            "key must be 32-128 ASCII letters or digits".into(),
        ));
    }
    Ok(())
}

fn check_sha(sha: &str) -> Result<(), PushRefusal> {
    if sha.len() != 40 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(PushRefusal::Invalid(format!(
            "{sha:?} is not a 40-digit commit sha"
        )));
    }
    Ok(())
}

/// Registers the launch's key (the runner does this before it starts codex). A second
/// registration of the same launch is refused: whoever registered first holds the grant.
pub async fn register(
    p: &Platform,
    run_id: Uuid,
    token_sha256: &str,
    key: &str,
) -> Result<Result<(), PushRefusal>, PushError> {
    if let Err(r) = check_key(key) {
        return Ok(Err(r));
    }
    let new = push_grant::register(&p.pool, token_sha256, run_id, &sha256_hex(key)).await?;
    Ok(if new { Ok(()) } else { Err(PushRefusal::Spent) })
}

/// Why a run's repository cannot be reached with a credential now (the push and the checkout
/// credential refuse alike).
#[derive(Debug)]
pub(super) enum Unreachable {
    /// The run is not running (its status, or `gone`).
    NotRunning(String),
    /// The repository has no clone URL.
    NoCheckout,
    /// Neither the repository binding nor the platform has a token.
    NoToken,
}

impl From<Unreachable> for PushRefusal {
    fn from(u: Unreachable) -> Self {
        match u {
            Unreachable::NotRunning(s) => PushRefusal::NotRunning(s),
            Unreachable::NoCheckout => PushRefusal::NoCheckout,
            Unreachable::NoToken => PushRefusal::NoToken,
        }
    }
}

/// The stage run, when it is running.
pub(super) async fn running(
    p: &Platform,
    run_id: Uuid,
) -> Result<Result<agent_run::AgentRun, Unreachable>, PushError> {
    Ok(match agent_run::get(&p.pool, run_id).await? {
        None => Err(Unreachable::NotRunning("gone".into())),
        Some(run) if run.status != "running" => Err(Unreachable::NotRunning(run.status)),
        Some(run) => Ok(run),
    })
}

/// Where the run's repository is cloned from, and the token git uses for it: the binding's own
/// (sealed in the vault), else the platform-wide one. `what` names the caller in the log of a
/// failed code-host call.
pub(super) async fn repository_source(
    p: &Platform,
    vault: Option<&Vault>,
    run: &agent_run::AgentRun,
    what: &'static str,
) -> Result<Result<(String, Plain), Unreachable>, PushError> {
    let repository = p
        .code_host
        .get_repository(&run.repository)
        .await
        .inspect_err(|e| e.log(run.id, what))?;
    let Some(clone_url) = repository.clone_url else {
        return Ok(Err(Unreachable::NoCheckout));
    };
    let own = match vault {
        Some(vault) => {
            crate::directory::repository_token(&p.pool, vault, run.repository_id).await?
        }
        None => None,
    };
    let password = own.or_else(|| {
        p.code_host
            .fallback_push_token()
            .map(|token| Plain::new(token.expose()))
    });
    Ok(password
        .map(|pw| (clone_url, pw))
        .ok_or(Unreachable::NoToken))
}

/// Checks the write scope on the changed paths and hands out the launch's push credential, once.
pub async fn issue(
    p: &Platform,
    vault: Option<&Vault>,
    run_id: Uuid,
    req: &PushRequest<'_>,
) -> Result<Result<PushCredential, PushRefusal>, PushError> {
    if let Err(r) = check_key(req.key).and_then(|()| check_sha(req.head)) {
        return Ok(Err(r));
    }
    let Some(grant) = push_grant::get(&p.pool, req.token_sha256).await? else {
        return Ok(Err(PushRefusal::NotRegistered));
    };
    if grant.key_sha256 != sha256_hex(req.key) || grant.issued_at.is_some() {
        return Ok(Err(PushRefusal::Spent));
    }
    let run = match running(p, run_id).await? {
        Ok(run) => run,
        Err(u) => return Ok(Err(u.into())),
    };
    let scope = Shape::of(&run)
        .map_err(|e| PushError::Store(crate::Error::Corrupt(e)))?
        .write_scope();
    let outside = outside_scope(scope, req.changed);
    if !outside.is_empty() {
        return Ok(Err(PushRefusal::WriteScope(outside)));
    }
    let (push_url, password) = match repository_source(p, vault, &run, "push credential").await? {
        Ok(source) => source,
        Err(u) => return Ok(Err(u.into())),
    };
    let Some(expires_at) = push_grant::issue(
        &p.pool,
        req.token_sha256,
        &grant.key_sha256,
        VALIDITY.as_secs_f64(),
    )
    .await?
    else {
        return Ok(Err(PushRefusal::Spent));
    };
    tracing::info!(%run_id, repository = %run.repository, branch = %run.branch, head = %req.head, "push credential issued");
    Ok(Ok(PushCredential {
        repository: run.repository,
        push_url,
        branch: run.branch,
        username: USERNAME.to_owned(),
        password,
        expires_at,
    }))
}

/// Records a push the runner made with the launch's credential: the branch and its new commits
/// become links of the run.
pub async fn record_push(
    p: &Platform,
    run_id: Uuid,
    token_sha256: &str,
    head: &str,
    commits: &[String],
) -> Result<Result<(), PushRefusal>, PushError> {
    if let Err(r) = check_sha(head).and_then(|()| commits.iter().try_for_each(|c| check_sha(c))) {
        return Ok(Err(r));
    }
    if commits.len() > 1000 {
        return Ok(Err(PushRefusal::Invalid("at most 1000 commits".into())));
    }
    let issued = push_grant::get(&p.pool, token_sha256)
        .await?
        .is_some_and(|g| g.issued_at.is_some());
    if !issued {
        return Ok(Err(PushRefusal::NotRegistered));
    }
    let Some(run) = agent_run::get(&p.pool, run_id).await? else {
        return Ok(Err(PushRefusal::NotRunning("gone".into())));
    };
    let mut tx = p
        .pool
        .begin()
        .await
        .map_err(|source| crate::Error::Database {
            op: "push_grant::record_push begin",
            source,
        })?;
    link::insert(
        &mut *tx,
        run_id,
        LinkKind::Branch,
        &run.branch,
        json!({ "repository": run.repository, "head": head }),
    )
    .await?;
    for commit in commits {
        link::insert(
            &mut *tx,
            run_id,
            LinkKind::Commit,
            commit,
            json!({ "branch": run.branch }),
        )
        .await?;
    }
    tx.commit().await.map_err(|source| crate::Error::Database {
        op: "push_grant::record_push commit",
        source,
    })?;
    Ok(Ok(()))
}
