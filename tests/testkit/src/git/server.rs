//! The server's handle: start it, create repositories, grant tokens, inspect fetches and pushes.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use base64::Engine;
use tokio::task::JoinHandle;

use super::backend::{self, CgiRequest};

/// What a granted token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Clone and fetch.
    Read,
    /// Clone, fetch and push.
    Write,
}

/// One ref a push changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefUpdate {
    /// Full ref name, e.g. `refs/heads/codex/issue-7`.
    pub name: String,
    /// The commit before (`None`: the ref was created).
    pub old: Option<String>,
    /// The commit after (`None`: the ref was deleted).
    pub new: Option<String>,
}

/// A push the server accepted, with the grant that authenticated it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Push {
    /// `owner/name`.
    pub repo: String,
    /// The name the test gave the token when granting it.
    pub grant: String,
    /// What changed.
    pub updates: Vec<RefUpdate>,
}

/// A fetch or clone (an upload-pack request), with the grant that authenticated it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetch {
    /// `owner/name`.
    pub repo: String,
    /// The name of the grant.
    pub grant: String,
}

#[derive(Debug, Default)]
struct Records {
    grants: BTreeMap<String, (String, Access)>,
    pushes: Vec<Push>,
    fetches: Vec<Fetch>,
    refused: u32,
}

#[derive(Debug)]
struct Shared {
    root: PathBuf,
    backend: PathBuf,
    base_url: String,
    records: Mutex<Records>,
    /// One receive-pack at a time, so the refs before and after belong to one push.
    pushing: tokio::sync::Mutex<()>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Records> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A smart-HTTP git server on 127.0.0.1 holding bare repositories in a temporary directory.
/// It stops, and its directory goes, when the handle is dropped.
#[derive(Debug)]
pub struct GitServer {
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl Drop for GitServer {
    fn drop(&mut self) {
        self.server.abort();
        let _ = std::fs::remove_dir_all(&self.shared.root);
    }
}

/// Runs git with no user or system configuration; stdout on success.
fn git(dir: &Path, args: &[&str]) -> std::io::Result<String> {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .args(args)
        .output()?;
    if !out.status.success() {
        return Err(std::io::Error::other(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn refs_of(repo_dir: &Path) -> BTreeMap<String, String> {
    git(
        repo_dir,
        &["for-each-ref", "--format=%(refname) %(objectname)"],
    )
    .unwrap_or_default()
    .lines()
    .filter_map(|l| l.split_once(' '))
    .map(|(r, s)| (r.to_owned(), s.to_owned()))
    .collect()
}

impl GitServer {
    /// Binds 127.0.0.1 on a free port and serves the repositories of a fresh temporary directory.
    pub async fn start() -> std::io::Result<Self> {
        let root = std::env::temp_dir().join(format!("ck8s-git-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&root)?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared {
            root,
            backend: backend::backend_path()?,
            base_url: format!("http://{address}"),
            records: Mutex::new(Records::default()),
            pushing: tokio::sync::Mutex::new(()),
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::warn!(error.message = %error, "git server stopped");
            }
        });
        Ok(Self { shared, server })
    }

    /// The clone URL of `owner/name` (`http://127.0.0.1:<port>/owner/name.git`).
    pub fn clone_url(&self, repo: &str) -> String {
        format!("{}/{repo}.git", self.shared.base_url)
    }

    fn repo_dir(&self, repo: &str) -> PathBuf {
        self.shared.root.join(format!("{repo}.git"))
    }

    /// Creates the bare repository `owner/name` with one commit on `main` holding `files`
    /// (`path`, content); returns that commit.
    pub fn create_repo(&self, repo: &str, files: &[(&str, &str)]) -> std::io::Result<String> {
        let bare = self.repo_dir(repo);
        std::fs::create_dir_all(&bare)?;
        git(&bare, &["init", "--bare", "-q", "-b", "main"])?;
        git(&bare, &["config", "http.receivepack", "true"])?;
        self.commit(repo, "main", files, "Initial commit")
    }

    /// Adds a commit to `branch` (created from `main` when new) writing `files`; returns it.
    pub fn commit(
        &self,
        repo: &str,
        branch: &str,
        files: &[(&str, &str)],
        message: &str,
    ) -> std::io::Result<String> {
        let bare = self.repo_dir(repo);
        let work = self
            .shared
            .root
            .join(format!("work-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&work)?;
        let result = (|| {
            git(&work, &["init", "-q", "-b", branch])?;
            let bare_s = bare.to_string_lossy().into_owned();
            let has = |r: &str| git(&bare, &["rev-parse", "--verify", "-q", r]).is_ok();
            let start = if has(&format!("refs/heads/{branch}")) {
                Some(branch.to_owned())
            } else if has("refs/heads/main") {
                Some("main".to_owned())
            } else {
                None
            };
            if let Some(start) = start {
                git(
                    &work,
                    &[
                        "fetch",
                        "-q",
                        &bare_s,
                        &format!("{start}:refs/remotes/o/{start}"),
                    ],
                )?;
                git(&work, &["reset", "-q", "--hard", &format!("o/{start}")])?;
            }
            for (path, content) in files {
                let p = work.join(path);
                if let Some(parent) = p.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(p, content)?;
            }
            git(&work, &["add", "-A"])?;
            git(
                &work,
                &[
                    "-c",
                    "user.name=Test Human",
                    "-c",
                    "user.email=human@example.test",
                    "commit",
                    "-q",
                    "--allow-empty",
                    "-m",
                    message,
                ],
            )?;
            git(
                &work,
                &["push", "-q", &bare_s, &format!("HEAD:refs/heads/{branch}")],
            )?;
            git(&work, &["rev-parse", "HEAD"])
        })();
        let _ = std::fs::remove_dir_all(&work);
        result
    }

    /// Grants a fresh token named `name` (the name shows in [`Push::grant`] and [`Fetch::grant`]).
    pub fn grant(&self, name: &str, access: Access) -> String {
        let token = format!("gitkn_{}", uuid::Uuid::new_v4().simple());
        self.grant_token(name, &token, access);
        token
    }

    /// Grants a token the test already has (e.g. the fake GitHub's platform token).
    pub fn grant_token(&self, name: &str, token: &str, access: Access) {
        self.shared
            .lock()
            .grants
            .insert(token.to_owned(), (name.to_owned(), access));
    }

    /// The commit `branch` points at, if it exists.
    pub fn branch_head(&self, repo: &str, branch: &str) -> Option<String> {
        git(
            &self.repo_dir(repo),
            &[
                "rev-parse",
                "--verify",
                "-q",
                &format!("refs/heads/{branch}"),
            ],
        )
        .ok()
    }

    /// A file's content at a revision, if it exists there.
    pub fn file_at(&self, repo: &str, rev: &str, path: &str) -> Option<String> {
        git(&self.repo_dir(repo), &["show", &format!("{rev}:{path}")]).ok()
    }

    /// Subject lines of the commits in `base..head`, newest first.
    pub fn subjects(&self, repo: &str, range: &str) -> Vec<String> {
        git(&self.repo_dir(repo), &["log", "--format=%s", range])
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The author `name <email>` of a commit.
    pub fn author(&self, repo: &str, rev: &str) -> Option<String> {
        git(
            &self.repo_dir(repo),
            &["log", "-1", "--format=%an <%ae>", rev],
        )
        .ok()
    }

    /// Every push accepted so far, in order.
    pub fn pushes(&self) -> Vec<Push> {
        self.shared.lock().pushes.clone()
    }

    /// Every fetch or clone served so far, in order.
    pub fn fetches(&self) -> Vec<Fetch> {
        self.shared.lock().fetches.clone()
    }

    /// Requests refused for a missing, unknown or read-only token.
    pub fn refused(&self) -> u32 {
        self.shared.lock().refused
    }
}

fn challenge() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Basic realm=\"git\"")],
        "authentication required",
    )
        .into_response()
}

/// The grant of the request's basic-auth password (or user, when the password is empty).
fn grant_of(shared: &Shared, headers: &HeaderMap) -> Option<(String, Access)> {
    let raw = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = raw.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':').unwrap_or((&decoded, ""));
    let token = if password.is_empty() { user } else { password };
    shared.lock().grants.get(token).cloned()
}

/// `owner/name` of a path `/owner/name.git/...`.
fn repo_of(path: &str) -> Option<String> {
    let (repo, _) = path.trim_start_matches('/').split_once(".git/")?;
    Some(repo.to_owned())
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let query = uri.query().unwrap_or_default().to_owned();
    let Some(repo) = repo_of(&path) else {
        return (StatusCode::NOT_FOUND, "not a repository path").into_response();
    };
    let push = path.ends_with("/git-receive-pack") || query.contains("service=git-receive-pack");
    let Some((grant, access)) = grant_of(&shared, &headers) else {
        shared.lock().refused += 1;
        return challenge();
    };
    if push && access != Access::Write {
        shared.lock().refused += 1;
        return (StatusCode::FORBIDDEN, "this token may not push").into_response();
    }
    let header_str = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let request = CgiRequest {
        method: method.as_str(),
        path_info: &path,
        query: &query,
        content_type: header_str(header::CONTENT_TYPE),
        content_encoding: header_str(header::CONTENT_ENCODING),
        git_protocol: headers.get("git-protocol").and_then(|v| v.to_str().ok()),
        remote_user: &grant,
        body: &body,
    };
    let repo_dir = shared.root.join(format!("{repo}.git"));
    let receiving = method == Method::POST && path.ends_with("/git-receive-pack");
    let _one_push = if receiving {
        Some(shared.pushing.lock().await)
    } else {
        None
    };
    let before = receiving.then(|| refs_of(&repo_dir));
    let response = match backend::serve(&shared.backend, &shared.root, &request).await {
        Ok(r) => r,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
    };
    if method == Method::POST && path.ends_with("/git-upload-pack") {
        shared.lock().fetches.push(Fetch {
            repo: repo.clone(),
            grant: grant.clone(),
        });
    }
    if let Some(before) = before {
        let after = refs_of(&repo_dir);
        let mut updates = Vec::new();
        for name in before
            .keys()
            .chain(after.keys())
            .collect::<std::collections::BTreeSet<_>>()
        {
            let (old, new) = (before.get(name).cloned(), after.get(name).cloned());
            if old != new {
                updates.push(RefUpdate {
                    name: name.clone(),
                    old,
                    new,
                });
            }
        }
        if !updates.is_empty() {
            shared.lock().pushes.push(Push {
                repo,
                grant,
                updates,
            });
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    // The test's git commands block their thread: the server needs another one.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn clones_with_a_read_grant_refuses_its_push_and_records_a_write_grant_push() {
        let server = GitServer::start().await.unwrap();
        let first = server
            .create_repo("acme/shop", &[("README.md", "hello\n")])
            .unwrap();
        let reader = server.grant("reader", Access::Read);
        let writer = server.grant("writer", Access::Write);
        let work =
            std::env::temp_dir().join(format!("ck8s-git-client-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&work).unwrap();
        let helper = |token: &str| {
            format!("credential.helper=!f() {{ echo username=x; echo password={token}; }}; f")
        };
        let url = server.clone_url("acme/shop");
        let w = work.to_string_lossy().into_owned();
        git(
            &work,
            &[
                "-c",
                &helper(&reader),
                "clone",
                "-q",
                &url,
                &format!("{w}/c"),
            ],
        )
        .unwrap();
        let c = work.join("c");
        assert_eq!(git(&c, &["rev-parse", "HEAD"]).unwrap(), first);
        std::fs::write(c.join("a.txt"), "a").unwrap();
        git(&c, &["add", "a.txt"]).unwrap();
        git(
            &c,
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "commit",
                "-qm",
                "a",
            ],
        )
        .unwrap();
        let denied = git(
            &c,
            &[
                "-c",
                &helper(&reader),
                "push",
                "-q",
                &url,
                "HEAD:refs/heads/x",
            ],
        );
        assert!(denied.is_err(), "a read grant cannot push");
        assert!(server.pushes().is_empty());
        let anonymous = git(
            &c,
            &[
                "-c",
                "credential.helper=",
                "push",
                "-q",
                &url,
                "HEAD:refs/heads/x",
            ],
        );
        assert!(anonymous.is_err(), "no token, no push");
        git(
            &c,
            &[
                "-c",
                &helper(&writer),
                "push",
                "-q",
                &url,
                "HEAD:refs/heads/x",
            ],
        )
        .unwrap();
        let head = git(&c, &["rev-parse", "HEAD"]).unwrap();
        assert_eq!(
            server.pushes(),
            [Push {
                repo: "acme/shop".into(),
                grant: "writer".into(),
                updates: vec![RefUpdate {
                    name: "refs/heads/x".into(),
                    old: None,
                    new: Some(head.clone())
                }],
            }]
        );
        assert_eq!(server.branch_head("acme/shop", "x"), Some(head));
        assert_eq!(
            server.fetches().first().map(|f| f.grant.as_str()),
            Some("reader")
        );
        assert!(server.refused() >= 2);
        let _ = std::fs::remove_dir_all(&work);
    }
}
