//! Running `codex exec --json`: the command line, the process (stdin closed, stdout parsed by the
//! caller), and its stderr forwarded into the runner's log with the run token redacted.

use std::{
    ffi::OsString,
    path::{Path, PathBuf},
    process::Stdio,
};

use tokio::{
    io::{AsyncBufReadExt, BufReader, Lines},
    process::{Child, ChildStdout, Command},
    task::JoinHandle,
};

use crate::config::Secret;

/// One `codex exec` run.
#[derive(Debug, Clone)]
pub(super) struct Invocation {
    /// The codex binary.
    pub(super) bin: PathBuf,
    /// `CODEX_HOME`.
    pub(super) home: PathBuf,
    /// The working directory (the checked-out repository).
    pub(super) workdir: PathBuf,
    /// The prompt of the turn.
    pub(super) prompt: String,
    /// The thread to resume, if any.
    pub(super) resume: Option<String>,
    /// codex's `RUST_LOG`.
    pub(super) log: String,
}

impl Invocation {
    /// The arguments after the binary. Flags go before `resume` (codex 0.171.0 rejects some of
    /// them after it), and `--` keeps a prompt starting with `-` from reading as a flag.
    pub(super) fn args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = [
            "exec",
            "--json",
            "--dangerously-bypass-approvals-and-sandbox",
            "--skip-git-repo-check",
        ]
        .into_iter()
        .map(OsString::from)
        .collect();
        if let Some(thread) = &self.resume {
            args.push("resume".into());
            args.push(thread.into());
        }
        args.push("--".into());
        args.push(self.prompt.clone().into());
        args
    }

    /// Starts codex. Its stdin is closed (codex otherwise waits for stdin's end), stdout is
    /// returned for parsing, stderr is logged line by line without `token`.
    pub(super) fn spawn(&self, token: &Secret) -> std::io::Result<Running> {
        let mut child = Command::new(&self.bin)
            .args(self.args())
            .current_dir(&self.workdir)
            .env("CODEX_HOME", &self.home)
            .env("RUST_LOG", &self.log)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .map(|out| BufReader::new(out).lines())
            .ok_or_else(|| std::io::Error::other("codex stdout is not piped"))?;
        let stderr = child.stderr.take().map(|err| {
            let token = token.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(err).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    let line = redact(&line, &token);
                    tracing::info!(target: "codex", stderr = %line, "codex");
                }
            })
        });
        Ok(Running {
            child,
            stdout,
            stderr,
        })
    }
}

/// `line` with every occurrence of the token replaced.
pub(super) fn redact(line: &str, token: &Secret) -> String {
    let secret = token.expose();
    if secret.is_empty() {
        return line.to_owned();
    }
    line.replace(secret, "<redacted>")
}

/// A running codex.
#[derive(Debug)]
pub(super) struct Running {
    /// The process (killed when dropped).
    pub(super) child: Child,
    /// Its stdout, line by line.
    pub(super) stdout: Lines<BufReader<ChildStdout>>,
    stderr: Option<JoinHandle<()>>,
}

impl Running {
    /// Waits for the exit and the last stderr line; the exit code (-1 when killed by a signal).
    pub(super) async fn wait(mut self) -> std::io::Result<i32> {
        let status = self.child.wait().await?;
        if let Some(stderr) = self.stderr.take() {
            let _ = stderr.await;
        }
        Ok(status.code().unwrap_or(-1))
    }
}

/// The path codex is started from, for logs: the binary's file name only.
pub(super) fn display_bin(bin: &Path) -> String {
    bin.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| bin.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invocation(resume: Option<&str>) -> Invocation {
        Invocation {
            bin: "codex".into(),
            home: "/h".into(),
            workdir: "/w".into(),
            prompt: "-do it".into(),
            resume: resume.map(str::to_owned),
            log: "warn".into(),
        }
    }

    fn strings(args: Vec<OsString>) -> Vec<String> {
        args.into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn a_fresh_run_and_a_resume_put_flags_before_the_subcommand_and_the_prompt_after_dashes() {
        let flags = [
            "exec",
            "--json",
            "--dangerously-bypass-approvals-and-sandbox",
            "--skip-git-repo-check",
        ];
        let mut fresh: Vec<&str> = flags.to_vec();
        fresh.extend(["--", "-do it"]);
        assert_eq!(strings(invocation(None).args()), fresh);
        let mut resumed: Vec<&str> = flags.to_vec();
        resumed.extend(["resume", "t-1", "--", "-do it"]);
        assert_eq!(strings(invocation(Some("t-1")).args()), resumed);
    }

    #[test]
    fn the_token_is_redacted_from_codex_output() {
        let token: Secret = "ck8s_run_abc".parse().unwrap();
        assert_eq!(
            redact("auth Bearer ck8s_run_abc failed", &token),
            "auth Bearer <redacted> failed"
        );
    }
}
