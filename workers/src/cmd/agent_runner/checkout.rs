//! The checkout's git credential helper (`codex-k8s git-credential get`, ADR 0027): a cluster
//! agent pod's init container clones with it. For `get` it exchanges the launch's run token
//! (`CK8S_RUN_TOKEN`, at `CK8S_PLATFORM_URL`) for the repository's read credential, once, and
//! prints it in git's credential format on stdout; git keeps it in memory for that clone. `store`
//! and `erase` do nothing: the credential is never written anywhere.

use std::io::Read;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::client::{Call, PlatformClient};
use crate::config::Secret;

/// `POST`: the launch's checkout credential, once, before its agent starts.
pub const CHECKOUT_CREDENTIAL_PATH: &str = "/api/v1/runner/checkout/credential";

/// Answer of [`CHECKOUT_CREDENTIAL_PATH`]; `Debug` hides the password.
#[derive(Serialize, Deserialize)]
pub struct CheckoutReply {
    /// `owner/name`.
    pub repository: String,
    /// The clone URL it is for.
    pub clone_url: String,
    /// Basic-auth user.
    pub username: String,
    /// Basic-auth password (the token).
    pub password: String,
}

impl std::fmt::Debug for CheckoutReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckoutReply")
            .field("repository", &self.repository)
            .field("clone_url", &self.clone_url)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Runs the helper for git's operation `op` (`get`, `store`, `erase`).
pub async fn git_credential(op: &str) -> anyhow::Result<()> {
    // git writes the request's attributes to stdin; the credential depends on none of them.
    let mut request = String::new();
    std::io::stdin()
        .read_to_string(&mut request)
        .context("read git's credential request")?;
    if op != "get" {
        return Ok(());
    }
    let env = |name: &str| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .with_context(|| format!("{name} is required"))
    };
    let base = env("CK8S_PLATFORM_URL")?;
    let token: Secret = env("CK8S_RUN_TOKEN")?
        .parse()
        .map_err(|e| anyhow::anyhow!("CK8S_RUN_TOKEN {e}"))?;
    let client = PlatformClient::new(base.trim_end_matches('/'), token)?;
    let reply: CheckoutReply = client
        .post_json(
            Call::new("checkout credential", 3),
            CHECKOUT_CREDENTIAL_PATH,
            &serde_json::json!({}),
        )
        .await?;
    println!("username={}\npassword={}\n", reply.username, reply.password);
    Ok(())
}
