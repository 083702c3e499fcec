//! The local runtime's supervisor: a `/bin/sh` between the worker and the agent, started as the
//! leader of a new process group, that waits for the agent and writes its exit status to the run
//! directory atomically (write a temporary file, then rename it). The status is therefore on disk
//! whether or not the worker that launched the agent still lives: a worker killed with SIGKILL
//! neither takes the agent down (it is in another process group) nor loses its exit status.
//!
//! The program, its arguments and the exit file reach the shell as positional parameters, never
//! inside the script text, so no name or argument is ever parsed as shell code.

use std::path::Path;

/// The script: `$1` is the exit file, the rest is the agent's command line. The exit status of
/// an agent killed by a signal is 128 + the signal's number, as the shell reports it.
const SCRIPT: &str = r#"exit_file=$1
shift
"$@"
code=$?
printf '%s\n' "$code" > "$exit_file.tmp" && mv -f -- "$exit_file.tmp" "$exit_file"
exit "$code"
"#;

/// A command that runs `program args…` under the supervisor, in a new process group whose id is
/// the supervisor's pid, recording the exit status in `exit_file`.
pub(crate) fn command(
    program: &Path,
    args: &[String],
    exit_file: &Path,
) -> tokio::process::Command {
    let mut command = tokio::process::Command::new("/bin/sh");
    command
        .arg("-c")
        .arg(SCRIPT)
        .arg("ck8s-agent-supervisor")
        .arg(exit_file)
        .arg(program)
        .args(args)
        .process_group(0);
    command
}

/// True while a process of the group `pgid` (other than a zombie) is alive.
pub(crate) fn group_alive(pgid: &str) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries.flatten().any(|entry| {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            return false;
        };
        // After the command's closing parenthesis: state, ppid, pgrp, …
        let mut fields = stat
            .rsplit_once(')')
            .map_or("", |(_, rest)| rest)
            .split_whitespace();
        let state = fields.next();
        let pgrp = fields.nth(1);
        state.is_some_and(|s| s != "Z") && pgrp == Some(pgid)
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn scratch() -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("ck8s-supervisor-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    async fn wait_for(path: &Path) -> String {
        for _ in 0..200 {
            if let Ok(code) = std::fs::read_to_string(path) {
                return code.trim().to_owned();
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("{} never written", path.display());
    }

    #[tokio::test]
    async fn the_exit_status_is_recorded_without_anyone_waiting_for_the_agent() {
        let dir = scratch();
        let exit_file = dir.join("exit_code");
        // An argument with shell syntax in it stays one plain argument.
        let args = vec![
            "-c".to_owned(),
            "exit 7".to_owned(),
            "$(touch pwned)".to_owned(),
        ];
        let mut child = command(Path::new("/bin/sh"), &args, &exit_file)
            .current_dir(&dir)
            .spawn()
            .unwrap();
        let pid = child.id().unwrap().to_string();
        // Nobody waits for the supervisor: the worker that launched it is gone.
        assert_eq!(wait_for(&exit_file).await, "7");
        assert!(!dir.join("pwned").exists());
        assert!(!dir.join("exit_code.tmp").exists(), "renamed into place");
        assert_eq!(child.wait().await.unwrap().code(), Some(7));
        assert!(!group_alive(&pid));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn the_agent_runs_in_the_supervisors_own_process_group() {
        let dir = scratch();
        let exit_file = dir.join("exit_code");
        let args = vec!["60".to_owned()];
        let mut child = command(Path::new("/bin/sleep"), &args, &exit_file)
            .spawn()
            .unwrap();
        let pid = child.id().unwrap().to_string();
        assert!(group_alive(&pid), "the supervisor leads its own group");
        let killed = tokio::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .status()
            .await
            .unwrap();
        assert!(killed.success());
        child.wait().await.unwrap();
        for _ in 0..200 {
            if !group_alive(&pid) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the agent outlived a kill of its group");
    }
}
