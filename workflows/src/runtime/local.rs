//! The local runtime: each run gets a directory with a copy of a seed repository, and its agent
//! runs as a child process there. Files in the directory (pid, exit code, result) let a restarted
//! worker find the agent again.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use futures::{FutureExt, future::BoxFuture};
use sha2::{Digest, Sha256};

use super::{AgentOutput, AgentRuntime, AgentSpec, AgentState, Launched, RuntimeError, Workspace};

/// The program a run's agent is (e.g. the scripted test agent, later the codex runner).
#[derive(Debug, Clone)]
pub struct AgentCommand {
    /// Executable.
    pub program: PathBuf,
    /// Arguments.
    pub args: Vec<String>,
    /// Extra environment (never secrets in logs: only names are logged).
    pub env: Vec<(String, String)>,
}

/// Runs agents as child processes under `root`.
#[derive(Debug, Clone)]
pub struct LocalRuntime {
    root: PathBuf,
    command: AgentCommand,
    seed: Option<PathBuf>,
}

impl LocalRuntime {
    /// A runtime keeping run directories under `root`, copying `seed` (if any) as each run's repository.
    pub fn new(root: impl Into<PathBuf>, command: AgentCommand, seed: Option<PathBuf>) -> Self {
        Self {
            root: root.into(),
            command,
            seed,
        }
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
            if !dir.join("baseline.json").exists() {
                std::fs::create_dir_all(&repo).map_err(err)?;
                if let Some(seed) = &self.seed {
                    copy_tree(seed, &repo).map_err(err)?;
                }
                let baseline =
                    serde_json::to_vec(&manifest(&repo).map_err(err)?).unwrap_or_default();
                std::fs::write(dir.join("baseline.json"), baseline).map_err(err)?;
            }
            Ok(Workspace {
                handle: dir.to_string_lossy().into_owned(),
                repo_dir: Some(repo.to_string_lossy().into_owned()),
            })
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
            let mut command = tokio::process::Command::new(&self.command.program);
            command
                .args(&self.command.args)
                .current_dir(dir.join("repo"))
                .env("CK8S_RUN_ID", spec.run_id.to_string())
                .env("CK8S_REPOSITORY", &spec.repository)
                .env("CK8S_BRANCH", &spec.branch)
                .env("CK8S_MODEL", &spec.model)
                .env("CK8S_REASONING", &spec.reasoning)
                .env("CK8S_ROLE", &spec.role)
                .env("CK8S_PROMPT_FILE", dir.join("prompt.md"))
                .env("CK8S_RESULT_FILE", dir.join("result.json"))
                .envs(self.command.env.iter().map(|(k, v)| (k, v)))
                .envs(spec.env.iter().map(|(k, v)| (k, v)))
                .stdin(Stdio::null())
                .stdout(stdout)
                .stderr(stderr);
            let mut child = command.spawn().map_err(err)?;
            let pid = child.id().map(|p| p.to_string()).unwrap_or_default();
            std::fs::write(dir.join("agent.pid"), &pid).map_err(err)?;
            tracing::info!(run_id = %spec.run_id, pid = %pid, program = %self.command.program.display(), "agent launched");
            let exit_file = dir.join("exit_code");
            let exited = async move {
                let code = match child.wait().await {
                    Ok(status) => status.code().unwrap_or(-1),
                    Err(_) => -1,
                };
                let _ = std::fs::write(exit_file, code.to_string());
                code
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
            let result: serde_json::Value = std::fs::read(dir.join("result.json"))
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .unwrap_or_default();
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
            for signal in ["-TERM", "-KILL"] {
                if !pid_alive(&pid) {
                    return Ok(());
                }
                let _ = tokio::process::Command::new("kill")
                    .args([signal, &pid])
                    .status()
                    .await;
                for _ in 0..50 {
                    if !pid_alive(&pid) {
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
