//! Where documents come from: the one seam between indexing and the repository. Today both
//! functions read the code host's Git database (a recursive tree for the listing, a raw blob per
//! document); a local workspace mirror can replace them without touching the indexer.

use serde::{Deserialize, Serialize};

use super::config::{DocGlobs, DocsConfig};
use crate::{
    github::{self, TreeFile},
    provider::RepositoryProvider,
};

/// The documents of a repository at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    /// The documents to index, in path order.
    pub files: Vec<TreeFile>,
    /// Whether the tree was listed whole; a truncated listing (GitHub cuts very large trees)
    /// deletes nothing. Documents skipped for the limits count as gone: their chunks go.
    pub complete: bool,
    /// Documents left out: larger than the size limit, or beyond the file count limit.
    pub skipped: usize,
}

/// The documents of `repo` at `git_ref` matching the globs, within the limits.
pub async fn list_documents(
    host: &dyn RepositoryProvider,
    repo: &str,
    git_ref: &str,
    globs: &DocGlobs,
    config: &DocsConfig,
) -> github::Result<Listing> {
    let tree = host.get_tree(repo, git_ref).await?;
    if tree.truncated {
        tracing::warn!(
            repository = repo,
            "the code host truncated the tree: indexing what it listed and deleting nothing"
        );
    }
    let mut files: Vec<TreeFile> = tree
        .files
        .into_iter()
        .filter(|f| globs.matches(&f.path) && f.size > 0)
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let before = files.len();
    files.retain(|f| f.size <= config.max_file_bytes);
    files.truncate(config.max_files);
    Ok(Listing {
        skipped: before - files.len(),
        complete: !tree.truncated,
        files,
    })
}

/// The text of one document.
pub async fn read_document(
    host: &dyn RepositoryProvider,
    repo: &str,
    file: &TreeFile,
) -> github::Result<String> {
    host.get_blob_text(repo, &file.blob_sha).await
}
