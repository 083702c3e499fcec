//! The git plumbing of a workspace: a cached bare mirror per repository under the runtime root
//! (fetched before each run) and, per run, a local clone from it on the run's work branch, with
//! the bot's identity.
//!
//! Credentials never touch a file, a URL or an argument: when a fetch needs one, git gets a
//! credential helper by `-c` that prints the password from an environment variable set on that
//! one git process only. No user or system git configuration is read (`GIT_CONFIG_GLOBAL`,
//! `GIT_CONFIG_NOSYSTEM`), no prompt is shown, no hook runs, and every command has a timeout.

use std::{
    collections::{BTreeSet, HashMap},
    path::{Path, PathBuf},
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use crate::github::Token;

/// The variable the credential helper reads the password from.
const PASSWORD_ENV: &str = "CK8S_GIT_PASSWORD";
/// A credential helper that answers `get` with the password of [`PASSWORD_ENV`] and nothing else.
const HELPER: &str = "!f() { test \"$1\" = get || exit 0; echo username=x-access-token; echo \"password=${CK8S_GIT_PASSWORD}\"; }; f";

/// How the platform runs git for workspaces.
#[derive(Clone)]
pub struct GitSettings {
    /// The read credential of clones and fetches (the platform token); none: anonymous.
    pub read_token: Option<Token>,
    /// `user.name` of the checkout (the bot).
    pub user_name: String,
    /// `user.email` of the checkout.
    pub user_email: String,
    /// Limit of one git command (a fetch of a big repository included).
    pub timeout: Duration,
}

impl std::fmt::Debug for GitSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitSettings")
            .field(
                "read_token",
                &self.read_token.as_ref().map(|_| "<redacted>"),
            )
            .field("user_name", &self.user_name)
            .field("user_email", &self.user_email)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Why a git command failed; the message holds git's stderr (which never sees a credential).
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// git could not be started or waited for.
    #[error("run git {what}: {source}")]
    Spawn {
        /// The subcommand.
        what: String,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// git exited non-zero.
    #[error("git {what} failed: {stderr}")]
    Failed {
        /// The subcommand.
        what: String,
        /// What git said.
        stderr: String,
    },
    /// git ran past its timeout and was killed.
    #[error("git {what} timed out after {after:?}")]
    TimedOut {
        /// The subcommand.
        what: String,
        /// The limit.
        after: Duration,
    },
    /// The branch to start from is not in the repository.
    #[error("neither branch {branch:?} nor the default branch {default:?} exists")]
    NoStart {
        /// The work branch.
        branch: String,
        /// The default branch.
        default: String,
    },
}

/// Variables of this process a git command keeps (where set): the program search path and the
/// proxy settings. Everything else, the platform's secrets among it, is cleared.
const KEPT_ENV: &[&str] = &[
    "PATH",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// Runs `git args…` in `dir` from an empty environment (plus [`KEPT_ENV`], `HOME` = `dir`) with
/// no user/system configuration, no prompt and no hooks; with `password`, the credential helper
/// answers with it. Returns stdout. The one way the platform and the agent runner run git.
pub async fn git(
    dir: &Path,
    args: &[&str],
    password: Option<&str>,
    timeout: Duration,
) -> Result<String, GitError> {
    let what = args
        .iter()
        .find(|a| !a.starts_with('-'))
        .copied()
        .unwrap_or("git")
        .to_owned();
    let mut cmd = tokio::process::Command::new("git");
    cmd.current_dir(dir).env_clear();
    for name in KEPT_ENV {
        if let Some(value) = std::env::var_os(name) {
            cmd.env(name, value);
        }
    }
    cmd.env("HOME", dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .args([
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "core.fsmonitor=false",
        ])
        .args(["-c", "credential.helper="])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(password) = password {
        cmd.args(["-c", &format!("credential.helper={HELPER}")])
            .env(PASSWORD_ENV, password);
    }
    cmd.args(args);
    let child = cmd.spawn().map_err(|source| GitError::Spawn {
        what: what.clone(),
        source,
    })?;
    let out = match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Err(_) => {
            return Err(GitError::TimedOut {
                what,
                after: timeout,
            });
        }
        Ok(Err(source)) => return Err(GitError::Spawn { what, source }),
        Ok(Ok(out)) => out,
    };
    if !out.status.success() {
        return Err(GitError::Failed {
            what,
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// One lock per mirror, so two runs of a repository never fetch into it at once.
#[derive(Debug, Default, Clone)]
pub(crate) struct Mirrors {
    locks: Arc<Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>>,
}

/// Where a checkout starts and what it is.
#[derive(Debug)]
pub(crate) struct Prepared {
    /// The commit the work branch started from (the base of the write-scope diff).
    pub(crate) base: String,
}

/// What [`Mirrors::checkout`] checks out, and where.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CheckoutParams<'a> {
    /// The runtime root (mirrors live under `mirrors/`).
    pub(crate) root: &'a Path,
    /// `owner/name`.
    pub(crate) repository: &'a str,
    /// Where to fetch from.
    pub(crate) clone_url: &'a str,
    /// Where a new work branch starts.
    pub(crate) default_branch: &'a str,
    /// The work branch.
    pub(crate) branch: &'a str,
    /// The run's checkout directory (replaced if it exists).
    pub(crate) repo_dir: &'a Path,
}

impl Mirrors {
    fn lock_of(&self, path: &Path) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        locks.entry(path.to_path_buf()).or_default().clone()
    }

    /// Fetches `repository`'s mirror under `root` from `clone_url` and clones it into `repo_dir`
    /// on `branch`: from the branch itself when it exists (a revise, a rerun), else from
    /// `default_branch`.
    pub(crate) async fn checkout(
        &self,
        settings: &GitSettings,
        at: &CheckoutParams<'_>,
    ) -> Result<Prepared, GitError> {
        let CheckoutParams {
            root,
            repository,
            clone_url,
            default_branch,
            branch,
            repo_dir,
        } = *at;
        let t = settings.timeout;
        let mirror = root
            .join("mirrors")
            .join(format!("{}.git", repository.replace('/', "__")));
        let io = |source| GitError::Spawn {
            what: "prepare directories".into(),
            source,
        };
        let lock = self.lock_of(&mirror);
        let _held = lock.lock().await;
        if !mirror.join("HEAD").exists() {
            std::fs::create_dir_all(&mirror).map_err(io)?;
            git(&mirror, &["init", "--bare", "-q"], None, t).await?;
            // Run clones borrow the mirror's objects: never prune them away.
            git(&mirror, &["config", "gc.auto", "0"], None, t).await?;
        }
        let password = settings.read_token.as_ref().map(Token::expose);
        git(
            &mirror,
            &[
                "fetch",
                "-q",
                "--prune",
                "--no-tags",
                clone_url,
                "+refs/heads/*:refs/heads/*",
            ],
            password,
            t,
        )
        .await?;
        let has = |r: String| {
            let mirror = mirror.clone();
            async move {
                git(&mirror, &["rev-parse", "--verify", "-q", &r], None, t)
                    .await
                    .ok()
            }
        };
        let start = match has(format!("refs/heads/{branch}^{{commit}}")).await {
            Some(sha) => sha,
            None => has(format!("refs/heads/{default_branch}^{{commit}}"))
                .await
                .ok_or_else(|| GitError::NoStart {
                    branch: branch.to_owned(),
                    default: default_branch.to_owned(),
                })?,
        };
        drop(_held);
        if repo_dir.exists() {
            std::fs::remove_dir_all(repo_dir).map_err(io)?;
        }
        let parent = repo_dir.parent().unwrap_or(root);
        std::fs::create_dir_all(parent).map_err(io)?;
        let (mirror_s, repo_s) = (
            mirror.to_string_lossy().into_owned(),
            repo_dir.to_string_lossy().into_owned(),
        );
        git(
            parent,
            &[
                "clone",
                "-q",
                "--shared",
                "--no-checkout",
                &mirror_s,
                &repo_s,
            ],
            None,
            t,
        )
        .await?;
        git(repo_dir, &["checkout", "-q", "-B", branch, &start], None, t).await?;
        for (key, value) in [
            ("user.name", settings.user_name.as_str()),
            ("user.email", settings.user_email.as_str()),
            ("remote.origin.url", clone_url),
        ] {
            git(repo_dir, &["config", key, value], None, t).await?;
        }
        Ok(Prepared { base: start })
    }
}

/// Paths changed in `repo_dir` against `base`: committed since it, staged, unstaged and untracked.
pub async fn changed_files(
    repo_dir: &Path,
    base: &str,
    timeout: Duration,
) -> Result<Vec<String>, GitError> {
    let mut paths = BTreeSet::new();
    let lists = [
        vec![
            "diff",
            "--name-only",
            "-z",
            "--no-renames",
            "--no-ext-diff",
            base,
            "HEAD",
        ],
        vec![
            "diff",
            "--name-only",
            "-z",
            "--no-renames",
            "--no-ext-diff",
            "HEAD",
        ],
        vec!["ls-files", "-z", "--others", "--exclude-standard"],
    ];
    for args in lists {
        let out = git(repo_dir, &args, None, timeout).await?;
        paths.extend(out.split('\0').filter(|p| !p.is_empty()).map(str::to_owned));
    }
    Ok(paths.into_iter().collect())
}

#[cfg(test)]
mod tests;
