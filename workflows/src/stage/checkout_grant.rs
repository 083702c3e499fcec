//! The checkout credential of a cluster launch (ADR 0027). A Kubernetes agent pod clones its
//! repository in an init container, before the agent starts. That container exchanges the
//! launch's run token for the repository's token, once, and only while the run is running and
//! its agent has not sent a heartbeat. git holds the token in memory for the clone (a
//! credential helper, never a URL or a file), so no token is in the pod spec, in the namespace
//! or on disk while the model runs.

use uuid::Uuid;

use super::push_grant::{PushError, USERNAME, Unreachable, repository_source, running};
use crate::{
    platform::Platform,
    store::run_token,
    vault::{Plain, Vault},
};

/// A checkout credential. `Debug` never shows the password.
#[derive(Debug)]
pub struct CheckoutCredential {
    /// `owner/name`.
    pub repository: String,
    /// The clone URL it is for (no credential in it).
    pub clone_url: String,
    /// The basic-auth user name.
    pub username: String,
    /// The basic-auth password (the token).
    pub password: Plain,
}

/// Why no checkout credential was given.
#[derive(Debug, thiserror::Error)]
pub enum CheckoutRefusal {
    /// It went out already, or the agent has started.
    #[error("the checkout credential was already issued or the agent has started")]
    Spent,
    /// The run is not running.
    #[error("the run is {0}, not running")]
    NotRunning(String),
    /// The repository has no clone URL.
    #[error("the repository has no clone URL")]
    NoCheckout,
    /// Neither the repository binding nor the platform has a token.
    #[error("no token to read the repository with")]
    NoToken,
}

impl From<Unreachable> for CheckoutRefusal {
    fn from(u: Unreachable) -> Self {
        match u {
            Unreachable::NotRunning(s) => CheckoutRefusal::NotRunning(s),
            Unreachable::NoCheckout => CheckoutRefusal::NoCheckout,
            Unreachable::NoToken => CheckoutRefusal::NoToken,
        }
    }
}

/// Hands out the launch's checkout credential, once (everything is checked before it is spent).
pub async fn issue(
    p: &Platform,
    vault: Option<&Vault>,
    run_id: Uuid,
    token_sha256: &str,
) -> Result<Result<CheckoutCredential, CheckoutRefusal>, PushError> {
    let run = match running(p, run_id).await? {
        Ok(run) => run,
        Err(u) => return Ok(Err(u.into())),
    };
    let (clone_url, password) =
        match repository_source(p, vault, &run, "checkout credential").await? {
            Ok(source) => source,
            Err(u) => return Ok(Err(u.into())),
        };
    if run_token::issue_checkout(&p.pool, token_sha256)
        .await?
        .is_none()
    {
        return Ok(Err(CheckoutRefusal::Spent));
    }
    tracing::info!(%run_id, repository = %run.repository, "checkout credential issued");
    Ok(Ok(CheckoutCredential {
        repository: run.repository,
        clone_url,
        username: USERNAME.to_owned(),
        password,
    }))
}
