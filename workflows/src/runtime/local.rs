//! The local runtime: each run gets a directory with a checkout of its repository (a clone from
//! the repository's cached mirror, see `git.rs`; without one, a copy of a seed directory), and its
//! agent runs as a child process there, under a supervisor in its own process group that records
//! its exit status in the directory. Files in the directory (pid, exit code, result) let a
//! restarted worker find the agent again, and the agent outlives a worker killed under it.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use futures::{FutureExt, future::BoxFuture};
use sha2::{Digest, Sha256};

use super::{
    AgentOutput, AgentRuntime, AgentSpec, AgentState, Launched, RuntimeError, Workspace, agent_env,
    git::{self, CheckoutParams, GitSettings, Mirrors},
    supervisor,
};

/// The program a run's agent is (e.g. the scripted test agent, later the codex runner).
#[derive(Debug, Clone)]
pub struct AgentCommand {
    /// Executable.
    pub program: PathBuf,
    /// Arguments.
    pub args: Vec<String>,
    /// Extra environment, explicitly configured for this agent program (e.g. the scripted
    /// agent's script, the demo model's URL); it is added to the allow-listed environment of
    /// [`agent_env`](super::agent_env), never inherited. Never secrets in logs: only names are logged.
    pub env: Vec<(String, String)>,
}

/// Runs agents as child processes under `root`.
#[derive(Debug, Clone)]
pub struct LocalRuntime {
    root: PathBuf,
    command: AgentCommand,
    seed: Option<PathBuf>,
    git: Option<GitSettings>,
    mirrors: Mirrors,
}

impl LocalRuntime {
    /// A runtime keeping run directories under `root`, copying `seed` (if any) as each run's repository.
    pub fn new(root: impl Into<PathBuf>, command: AgentCommand, seed: Option<PathBuf>) -> Self {
        Self {
            root: root.into(),
            command,
            seed,
            git: None,
            mirrors: Mirrors::default(),
        }
    }

    /// The same runtime checking out each run's repository (when its spec names one) with git.
    pub fn with_git(mut self, settings: GitSettings) -> Self {
        self.git = Some(settings);
        self
    }

    fn dir(ws: &Workspace) -> PathBuf {
        PathBuf::from(&ws.handle)
    }
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// Relative path → sha256 of every file under `dir`.
fn manifest(dir: &Path) -> std::io::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                if entry.file_name() != ".git" {
                    stack.push(path);
                }
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, hex::encode(Sha256::digest(std::fs::read(&path)?)));
            }
        }
    }
    Ok(out)
}

/// Files changed in a seed-copy workspace, against the manifest taken when it was prepared.
fn seed_changes(dir: &Path) -> Result<Vec<String>, RuntimeError> {
    let err = |e: std::io::Error| RuntimeError::Collect(e.to_string());
    let baseline: BTreeMap<String, String> =
        serde_json::from_slice(&std::fs::read(dir.join("baseline.json")).map_err(err)?)
            .unwrap_or_default();
    let now = manifest(&dir.join("repo")).map_err(err)?;
    let mut changed: Vec<String> = now
        .iter()
        .filter(|(p, h)| baseline.get(*p) != Some(*h))
        .map(|(p, _)| p.clone())
        .collect();
    changed.extend(baseline.keys().filter(|p| !now.contains_key(*p)).cloned());
    changed.sort();
    Ok(changed)
}

fn pid_alive(pid: &str) -> bool {
    // A zombie has exited; only its exit status is left to collect.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            stat.rsplit(')')
                .next()
                .is_some_and(|rest| !rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

fn read_trimmed(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_owned())
}

impl AgentRuntime for LocalRuntime {
    fn prepare<'a>(
        &'a self,
        spec: &'a AgentSpec,
    ) -> BoxFuture<'a, Result<Workspace, RuntimeError>> {
        async move {
            let dir = self.root.join(spec.run_id.to_string());
            let repo = dir.join("repo");
            let err = |e: std::io::Error| RuntimeError::Prepare(e.to_string());
            let base_file = dir.join("base");
            let workspace = |base_commit| Workspace {
                handle: dir.to_string_lossy().into_owned(),
                repo_dir: Some(repo.to_string_lossy().into_owned()),
                base_commit,
            };
            if let Some(base) = read_trimmed(&base_file) {
                return Ok(workspace(Some(base)));
            }
            if let (Some(checkout), Some(settings)) = (&spec.checkout, &self.git) {
                let prepared = self
                    .mirrors
                    .checkout(
                        settings,
                        &CheckoutParams {
                            root: &self.root,
                            repository: &spec.repository,
                            clone_url: &checkout.clone_url,
                            default_branch: &checkout.default_branch,
                            branch: &spec.branch,
                            repo_dir: &repo,
                        },
                    )
                    .await
                    .map_err(|e| RuntimeError::Prepare(e.to_string()))?;
                std::fs::write(&base_file, &prepared.base).map_err(err)?;
                tracing::info!(run_id = %spec.run_id, branch = %spec.branch, base = %prepared.base, "workspace checked out");
                return Ok(workspace(Some(prepared.base)));
            }
            if !dir.join("baseline.json").exists() {
                std::fs::create_dir_all(&repo).map_err(err)?;
                if let Some(seed) = &self.seed {
                    copy_tree(seed, &repo).map_err(err)?;
                }
                let baseline =
                    serde_json::to_vec(&manifest(&repo).map_err(err)?).unwrap_or_default();
                std::fs::write(dir.join("baseline.json"), baseline).map_err(err)?;
            }
            Ok(workspace(None))
        }
        .boxed()
    }

    fn launch<'a>(
        &'a self,
        ws: &'a Workspace,
        spec: &'a AgentSpec,
    ) -> BoxFuture<'a, Result<Launched, RuntimeError>> {
        async move {
            let dir = Self::dir(ws);
            let err = |e: std::io::Error| RuntimeError::Launch(e.to_string());
            let last_attempt: u32 = read_trimmed(&dir.join("attempt")).and_then(|a| a.parse().ok()).unwrap_or(0);
            if let Some(pid) = read_trimmed(&dir.join("agent.pid"))
                && last_attempt >= spec.attempt
                && (pid_alive(&pid) || dir.join("exit_code").exists())
            {
                return Ok(Launched { agent: pid, exited: None });
            }
            // A relaunch: forget the previous attempt's exit.
            for stale in ["exit_code", "result.json"] {
                let _ = std::fs::remove_file(dir.join(stale));
            }
            std::fs::write(dir.join("attempt"), spec.attempt.to_string()).map_err(err)?;
            std::fs::write(dir.join("prompt.md"), &spec.prompt).map_err(err)?;
            let stdout = std::fs::File::create(dir.join("agent.log")).map_err(err)?;
            let stderr = std::fs::File::create(dir.join("agent.err")).map_err(err)?;
            let env = agent_env::launch_env(&dir, &self.command, spec)?;
            let exit_file = dir.join("exit_code");
            let mut command = supervisor::command(&self.command.program, &self.command.args, &exit_file);
            command
                .current_dir(dir.join("repo"))
                // Nothing of the worker's environment but the allow-list (see `agent_env`).
                .env_clear()
                .envs(env)
                .stdin(Stdio::null())
                .stdout(stdout)
                .stderr(stderr);
            let mut child = command.spawn().map_err(err)?;
            let pid = child.id().map(|p| p.to_string()).unwrap_or_default();
            std::fs::write(dir.join("agent.pid"), &pid).map_err(err)?;
            tracing::info!(run_id = %spec.run_id, pid = %pid, program = %self.command.program.display(), "agent launched");
            // The supervisor records the exit status in the run directory itself; this only
            // wakes the stage run sooner while this worker lives.
            let exited = async move {
                match child.wait().await {
                    Ok(status) => status.code().unwrap_or(-1),
                    Err(_) => -1,
                }
            }
            .boxed();
            Ok(Launched { agent: pid, exited: Some(exited) })
        }
        .boxed()
    }

    fn probe<'a>(&'a self, ws: &'a Workspace) -> BoxFuture<'a, Result<AgentState, RuntimeError>> {
        async move {
            let dir = Self::dir(ws);
            if let Some(code) = read_trimmed(&dir.join("exit_code")).and_then(|c| c.parse().ok()) {
                return Ok(AgentState::Exited { code });
            }
            match read_trimmed(&dir.join("agent.pid")) {
                Some(pid) if pid_alive(&pid) => Ok(AgentState::Running),
                _ => Ok(AgentState::Gone),
            }
        }
        .boxed()
    }

    fn collect<'a>(
        &'a self,
        ws: &'a Workspace,
    ) -> BoxFuture<'a, Result<AgentOutput, RuntimeError>> {
        async move {
            let dir = Self::dir(ws);
            let changed = match (read_trimmed(&dir.join("base")), &self.git) {
                (Some(base), Some(settings)) => {
                    git::changed_files(&dir.join("repo"), &base, settings.timeout)
                        .await
                        .map_err(|e| RuntimeError::Collect(e.to_string()))?
                }
                _ => seed_changes(&dir)?,
            };
            let result: Option<serde_json::Value> = std::fs::read(dir.join("result.json"))
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok());
            let result_found = result.is_some();
            let result = result.unwrap_or_default();
            Ok(AgentOutput {
                exit_code: read_trimmed(&dir.join("exit_code"))
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(-1),
                final_message: result
                    .get("final_message")
                    .and_then(|m| m.as_str())
                    .map(str::to_owned),
                changed_files: changed,
                pull_request: result.get("pull_request").and_then(|p| p.as_u64()),
                result_found,
                log_tail: None,
                infrastructure_failure: None,
            })
        }
        .boxed()
    }

    fn stop<'a>(&'a self, ws: &'a Workspace) -> BoxFuture<'a, Result<(), RuntimeError>> {
        async move {
            let dir = Self::dir(ws);
            let Some(pid) = read_trimmed(&dir.join("agent.pid")) else {
                return Ok(());
            };
            // The agent runs in its supervisor's process group (the group id is the pid):
            // signal the whole group, and the pid itself for directories of older launches.
            let alive = || pid_alive(&pid) || supervisor::group_alive(&pid);
            for signal in ["-TERM", "-KILL"] {
                if !alive() {
                    return Ok(());
                }
                let group = format!("-{pid}");
                let _ = tokio::process::Command::new("kill")
                    .args([signal, "--", &group, &pid])
                    .stderr(Stdio::null())
                    .status()
                    .await;
                for _ in 0..50 {
                    if !alive() {
                        return Ok(());
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
            Err(RuntimeError::Release(format!("agent {pid} did not stop")))
        }
        .boxed()
    }

    fn release<'a>(&'a self, ws: &'a Workspace) -> BoxFuture<'a, Result<(), RuntimeError>> {
        async move {
            self.stop(ws).await?;
            match std::fs::remove_dir_all(Self::dir(ws)) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(RuntimeError::Release(e.to_string())),
            }
        }
        .boxed()
    }
}
