//! Repository files in the fake: one tree per repository (its default branch) whose files name
//! their blob shas, and the blobs themselves, served through the Git database API
//! (`GET /repos/{owner}/{repo}/git/trees/{ref}`, `GET /repos/{owner}/{repo}/git/blobs/{sha}`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::json;
use super::route::reply;
use super::server::Shared;

/// The files of every repository, and every blob ever added (a removed file's blob stays, as
/// in git history).
#[derive(Debug, Default)]
pub(super) struct Files {
    trees: BTreeMap<String, RepoTree>,
    blobs: BTreeMap<(String, String), Vec<u8>>,
}

#[derive(Debug, Default)]
struct RepoTree {
    /// path → blob sha
    paths: BTreeMap<String, String>,
    truncated: bool,
}

/// A content hash in the shape of a git blob sha (40 hex digits). Git uses SHA-1 over the same
/// header; the fake only needs equal contents to have equal shas.
pub(super) fn blob_sha(content: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(format!("blob {}\0", content.len()).as_bytes());
    hasher.update(content);
    hex::encode(&hasher.finalize()[..20])
}

impl Files {
    fn tree_mut(&mut self, repo: &str) -> &mut RepoTree {
        self.trees.entry(repo.to_lowercase()).or_default()
    }

    /// Adds or replaces a file; returns its blob sha.
    pub(super) fn put(&mut self, repo: &str, path: &str, content: &[u8]) -> String {
        let sha = blob_sha(content);
        self.blobs
            .insert((repo.to_lowercase(), sha.clone()), content.to_vec());
        self.tree_mut(repo)
            .paths
            .insert(path.trim_matches('/').to_owned(), sha.clone());
        sha
    }

    /// Removes a file; false when it was not there.
    pub(super) fn remove(&mut self, repo: &str, path: &str) -> bool {
        self.tree_mut(repo).paths.remove(path).is_some()
    }

    /// Moves a file to a new path with the same blob; false when it was not there.
    pub(super) fn rename(&mut self, repo: &str, from: &str, to: &str) -> bool {
        let tree = self.tree_mut(repo);
        match tree.paths.remove(from) {
            Some(sha) => {
                tree.paths.insert(to.trim_matches('/').to_owned(), sha);
                true
            }
            None => false,
        }
    }

    /// Makes the tree answer `truncated: true`, as GitHub does for very large trees.
    pub(super) fn set_truncated(&mut self, repo: &str, truncated: bool) {
        self.tree_mut(repo).truncated = truncated;
    }
}

/// Standard base64 with padding (GitHub's blob `content`).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let b = [
            group[0],
            *group.get(1).unwrap_or(&0),
            *group.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= group.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn not_found() -> Response {
    reply(StatusCode::NOT_FOUND, json::error("Not Found"))
}

#[derive(Deserialize)]
pub(super) struct TreeQuery {
    recursive: Option<String>,
}

/// `GET /repos/{owner}/{repo}/git/trees/{ref}`: the repository's one tree, whatever the ref
/// names (the fake has no history); recursive with `?recursive=<anything>`.
pub(super) async fn get_tree(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, _git_ref)): Path<(String, String, String)>,
    Query(query): Query<TreeQuery>,
) -> Response {
    let repo = format!("{owner}/{repo}").to_lowercase();
    let state = shared.lock();
    let Some(tree) = state.files.trees.get(&repo) else {
        return not_found();
    };
    let recursive = query.recursive.is_some();
    let base = &shared.base_url;
    let mut dirs = BTreeSet::new();
    for path in tree.paths.keys() {
        let mut parent = path.as_str();
        while let Some((dir, _)) = parent.rsplit_once('/') {
            dirs.insert(dir.to_owned());
            parent = dir;
        }
    }
    let shown = |path: &str| recursive || !path.contains('/');
    let mut entries: Vec<(String, Value)> = dirs
        .iter()
        .filter(|d| shown(d))
        .map(|dir| {
            let sha = blob_sha(format!("tree {dir}").as_bytes());
            let entry = json!({
                "path": dir, "mode": "040000", "type": "tree", "sha": sha,
                "url": format!("{base}/repos/{repo}/git/trees/{sha}"),
            });
            (dir.clone(), entry)
        })
        .collect();
    for (path, sha) in tree.paths.iter().filter(|(p, _)| shown(p)) {
        let size = state
            .files
            .blobs
            .get(&(repo.clone(), sha.clone()))
            .map_or(0, Vec::len);
        let entry = json!({
            "path": path, "mode": "100644", "type": "blob", "sha": sha, "size": size,
            "url": format!("{base}/repos/{repo}/git/blobs/{sha}"),
        });
        entries.push((path.clone(), entry));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let listing: String = entries
        .iter()
        .map(|(p, e)| format!("{p}{}\n", e["sha"]))
        .collect();
    let sha = blob_sha(listing.as_bytes());
    reply(
        StatusCode::OK,
        json!({
            "sha": sha,
            "url": format!("{base}/repos/{repo}/git/trees/{sha}"),
            "tree": entries.into_iter().map(|(_, e)| e).collect::<Vec<_>>(),
            "truncated": tree.truncated,
        }),
    )
}

/// `GET /repos/{owner}/{repo}/git/blobs/{sha}`: raw bytes for the `raw` media types, otherwise
/// GitHub's JSON with base64 content.
pub(super) async fn get_blob(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, sha)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let repo = format!("{owner}/{repo}").to_lowercase();
    let Some(content) = shared
        .lock()
        .files
        .blobs
        .get(&(repo.clone(), sha.clone()))
        .cloned()
    else {
        return not_found();
    };
    let raw = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/vnd.github.raw"));
    if raw {
        let mut response = (StatusCode::OK, content).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/vnd.github.raw"),
        );
        return response;
    }
    let base = &shared.base_url;
    reply(
        StatusCode::OK,
        json!({
            "sha": sha,
            "node_id": format!("B_kwDO{sha}"),
            "size": content.len(),
            "url": format!("{base}/repos/{repo}/git/blobs/{sha}"),
            "content": base64(&content),
            "encoding": "base64",
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet_with_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"# Title\n"), "IyBUaXRsZQo=");
    }

    #[test]
    fn equal_contents_have_equal_shas_and_a_rename_keeps_the_blob() {
        let mut files = Files::default();
        let a = files.put("Acme/Shop", "docs/a.md", b"same");
        let b = files.put("acme/shop", "docs/b.md", b"same");
        assert_eq!(a, b);
        assert_eq!(a.len(), 40);
        assert!(files.rename("acme/shop", "docs/a.md", "docs/c.md"));
        assert!(files.remove("acme/shop", "docs/b.md"));
        let tree = &files.trees["acme/shop"];
        assert_eq!(tree.paths.keys().collect::<Vec<_>>(), ["docs/c.md"]);
        assert!(files.blobs.contains_key(&("acme/shop".into(), a)));
    }
}
