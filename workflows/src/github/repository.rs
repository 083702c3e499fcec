//! A repository as a checkout needs it: its default branch and where to clone it from.

use serde::{Deserialize, Serialize};

use super::client::{GitHubClient, Retry, split_repo};
use super::error::{Error, Result};
use super::token::Identity;

/// What the workspace of a run clones.
///
/// Serializable because step checkpoints store it: renaming a field breaks stored runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repository {
    /// `owner/name`.
    pub full_name: String,
    /// The branch a new work branch starts from.
    pub default_branch: String,
    /// The HTTPS clone URL (never carrying a credential); GitHub always names one.
    pub clone_url: Option<String>,
}

impl GitHubClient {
    /// Reads a repository with the platform token.
    #[tracing::instrument(name = "github_call", skip_all, fields(operation = "get_repository", http.status_code = tracing::field::Empty, outcome = tracing::field::Empty, otel.kind = "client", otel.status_code = tracing::field::Empty, repo = %repo))]
    pub async fn get_repository(&self, repo: &str) -> Result<Repository> {
        let (owner, name) = split_repo(repo)?;
        let octo = self.octocrab(Identity::Platform);
        let found = self
            .call(
                "get_repository",
                Identity::Platform,
                Retry::Transient,
                || async move { octo.repos(owner, name).get().await },
            )
            .await
            .map_err(|source| Error::GetRepository {
                repo: repo.to_owned(),
                source,
            })?;
        Ok(Repository {
            full_name: found.full_name.unwrap_or_else(|| repo.to_owned()),
            default_branch: found.default_branch.unwrap_or_else(|| "main".to_owned()),
            clone_url: found.clone_url.map(String::from),
        })
    }
}
