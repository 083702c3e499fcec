//! Repository files through GitHub's Git database API: the files of a tree (paths with their blob
//! shas and sizes) and the content of one blob.

use http::header::{ACCEPT, HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};

use super::client::{GitHubClient, Retry, split_repo};
use super::error::{Error, Result};
use super::token::Identity;

/// The media type that makes GitHub answer a blob with its raw bytes instead of base64 JSON.
const RAW: &str = "application/vnd.github.raw+json";

/// One file (a blob) of a tree.
///
/// Serializable because step checkpoints store it: renaming a field breaks stored runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeFile {
    /// Path from the repository root.
    pub path: String,
    /// The git blob sha of its content.
    pub blob_sha: String,
    /// Size in bytes.
    pub size: u64,
}

/// The files of a tree, recursively.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tree {
    /// The tree's sha.
    pub sha: String,
    /// Every blob of the tree and its subtrees, in GitHub's order (by path).
    pub files: Vec<TreeFile>,
    /// GitHub cut the listing short (over 100,000 entries or 7 MB): files may be missing.
    pub truncated: bool,
}

/// A ref goes into the URL path: branch, tag and sha characters only (slashes separate names).
fn valid_ref(git_ref: &str) -> bool {
    !git_ref.is_empty()
        && !git_ref.starts_with('/')
        && !git_ref.contains("..")
        && git_ref
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
}

impl GitHubClient {
    /// Every file of `git_ref` (a branch, tag, commit or tree sha), recursively, read with the
    /// platform token. Submodules and symlinks are not files; directories are left out.
    #[tracing::instrument(name = "github_call", skip_all, fields(operation = "get_tree", http.status_code = tracing::field::Empty, outcome = tracing::field::Empty, otel.kind = "client", otel.status_code = tracing::field::Empty, repo = %repo, git_ref = %git_ref))]
    pub async fn get_tree(&self, repo: &str, git_ref: &str) -> Result<Tree> {
        let (owner, name) = split_repo(repo)?;
        if !valid_ref(git_ref) {
            return Err(Error::InvalidRef {
                git_ref: git_ref.to_owned(),
            });
        }
        let octo = self.octocrab(Identity::Platform);
        let tree = self
            .call(
                "get_tree",
                Identity::Platform,
                Retry::Transient,
                || async move {
                    let git = octo.git(owner, name);
                    git.get_tree(git_ref).recursive(true).send().await
                },
            )
            .await
            .map_err(|source| Error::GetTree {
                repo: repo.to_owned(),
                git_ref: git_ref.to_owned(),
                source,
            })?;
        let files = tree
            .tree
            .into_iter()
            // Regular and executable files; 120000 is a symlink, 160000 a submodule commit.
            .filter(|e| e.r#type == "blob" && matches!(e.mode.as_str(), "100644" | "100755"))
            .map(|e| TreeFile {
                path: e.path,
                blob_sha: e.sha,
                size: e.size.unwrap_or_default() as u64,
            })
            .collect();
        Ok(Tree {
            sha: tree.sha,
            files,
            truncated: tree.truncated,
        })
    }

    /// The content of a blob as UTF-8 text, read raw with the platform token. Content that is
    /// not UTF-8 fails as a permanent error (it is not a document).
    #[tracing::instrument(name = "github_call", skip_all, fields(operation = "get_blob_text", http.status_code = tracing::field::Empty, outcome = tracing::field::Empty, otel.kind = "client", otel.status_code = tracing::field::Empty, repo = %repo, sha = %sha))]
    pub async fn get_blob_text(&self, repo: &str, sha: &str) -> Result<String> {
        let (owner, name) = split_repo(repo)?;
        if sha.is_empty() || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::InvalidRef {
                git_ref: sha.to_owned(),
            });
        }
        let octo = self.octocrab(Identity::Platform);
        let route = format!("/repos/{owner}/{name}/git/blobs/{sha}");
        let route = route.as_str();
        self.call(
            "get_blob",
            Identity::Platform,
            Retry::Transient,
            || async move {
                let mut headers = HeaderMap::new();
                headers.insert(ACCEPT, HeaderValue::from_static(RAW));
                let response = octo._get_with_headers(route, Some(headers)).await?;
                let response = octocrab::map_github_error(response).await?;
                octo.body_to_string(response).await
            },
        )
        .await
        .map_err(|source| Error::GetBlob {
            repo: repo.to_owned(),
            sha: sha.to_owned(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::valid_ref;

    #[test]
    fn refs_with_url_characters_are_refused() {
        for good in ["main", "release/1.2", "v1.0.0", "0123abcd", "feature_x-y"] {
            assert!(valid_ref(good), "{good}");
        }
        for bad in ["", "/main", "a/../b", "main?x=1", "a b", "a#b", "%2e"] {
            assert!(!valid_ref(bad), "{bad}");
        }
    }
}
