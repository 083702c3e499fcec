//! A clean agent environment: a real `codex-k8s worker` process holding every platform secret in
//! its environment launches an agent (a shell script given as `CK8S_AGENT_PROGRAM`, split like a
//! shell would) that dumps its environment, its arguments, its open descriptors and every file
//! of its run directory. None of the secrets is in there, and what the agent can read does not
//! let it answer its own Owner question (the self-approval attack is refused).

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use serde_json::{Value, json};
use uuid::Uuid;
use workflows::{
    approval::{APPROVER_CALLBACK_PATH, ApprovalConfig, Audience, SigningKey, callback_token},
    runtime::AgentCommand,
};

use crate::support::*;

/// The agent: dumps what it sees into `<run dir>/dump/`, then waits until the test is done (at
/// most 5 minutes, and not after its directory is gone).
/// `ls` runs in a subshell (redirected there), so the descriptors listed are the shell's own, as
/// the runtime gave them.
const AGENT: &str = r#"
run_dir=$(dirname "$CK8S_RESULT_FILE")
out="$run_dir/dump"
mkdir -p "$out"
(ls -l /proc/$$/fd) > "$out/fds.txt" 2>&1
tr '\0' '\n' < /proc/$$/cmdline > "$out/cmdline.txt"
env > "$out/env.txt"
find "$run_dir" -type f ! -path "$out/*" > "$out/files.list" 2>/dev/null
find "$run_dir" -type f ! -path "$out/*" -exec cat {} + > "$out/files.txt" 2>/dev/null
touch "$out/dumped"
i=0
while [ -d "$out" ] && [ ! -e "$out/stop" ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i+1)); done
"#;

/// Closes every descriptor above 2, then runs `"$0" "$@"`.
const ONLY_STDIO: &str = r#"for fd in /proc/$$/fd/*; do n=${fd##*/}; if [ "$n" -gt 2 ]; then eval "exec $n>&-"; fi; done; exec "$0" "$@""#;

/// Every platform secret the worker gets, by variable (the GitHub tokens are the fake's, the
/// others unique to this test).
fn secrets(
    database_url: &str,
    github: &testkit::github::FakeGitHub,
    tag: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_URL", database_url.to_owned()),
        (
            "CK8S_GITHUB_PLATFORM_TOKEN",
            github.platform_token().to_owned(),
        ),
        ("CK8S_GITHUB_BOT_TOKEN", github.bot_token().to_owned()),
        ("CK8S_GITHUB_WEBHOOK_SECRET", format!("whsec-{tag}")),
        ("CK8S_APPROVER_SECRET", format!("approver-{tag}")),
        ("CK8S_CALLBACK_SECRET", format!("callback-{tag}")),
        (
            "CK8S_JWT_KEYS",
            format!("k1=jwt-secret-of-more-than-32-bytes-{tag}"),
        ),
    ]
}

fn secret<'a>(secrets: &'a [(&str, String)], name: &str) -> &'a str {
    &secrets.iter().find(|(n, _)| *n == name).unwrap().1
}

/// Waits (bounded) for the agent's dump; returns its directory.
async fn dumped(root: &Path, worker_log: &Path) -> PathBuf {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        if let Ok(entries) = std::fs::read_dir(root) {
            for entry in entries.flatten() {
                let dump = entry.path().join("dump");
                if dump.join("dumped").exists() {
                    return dump;
                }
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the agent never dumped; worker log:\n{}",
            std::fs::read_to_string(worker_log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every string an agent could try as a key: each variable's value and each word of its files.
fn candidates(dump: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for file in ["env.txt", "cmdline.txt", "files.txt"] {
        let text = std::fs::read_to_string(dump.join(file)).unwrap_or_default();
        for line in text.lines() {
            out.insert(line.to_owned());
            if let Some((_, value)) = line.split_once('=') {
                out.insert(value.to_owned());
            }
            for word in line.split(|c: char| c.is_whitespace() || "=\"',:{}[]".contains(c)) {
                out.insert(word.to_owned());
            }
        }
    }
    out.retain(|c| !c.is_empty());
    out
}

async fn approval_state(p: &TestPlatform, id: Uuid) -> String {
    sqlx::query_scalar("select state from approvals where id = $1")
        .bind(id)
        .fetch_one(&p.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_agent_sees_no_platform_secret_and_cannot_answer_its_own_owner_question() {
    let (_, database_url) = fresh_database().await;
    let tag = Uuid::new_v4().simple().to_string();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api_url = format!("http://{}", listener.local_addr().unwrap());
    let unused = AgentCommand {
        program: PathBuf::from("/bin/false"),
        args: Vec::new(),
        env: Vec::new(),
    };
    // The API (MCP, callbacks, runner endpoints) in this process, with the same keys as the worker.
    let p = TestPlatform::start(Options {
        queues: vec![],
        database_url: Some(database_url.clone()),
        agent: Some((unused, api_url.clone())),
        approval: Some(ApprovalConfig {
            signing_key: Some(SigningKey::new(format!("approver-{tag}"))),
            callback_key: Some(SigningKey::new(format!("callback-{tag}"))),
            owner_wait: Duration::from_secs(120),
            poll_every: Duration::from_millis(100),
            ..ApprovalConfig::default()
        }),
        ..Options::default()
    })
    .await;
    let secrets = secrets(&database_url, &p.github, &tag);
    let router = p.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });
    // The worker: a real process with every secret in its environment.
    let root = p.runtime_root.join("runs");
    std::fs::create_dir_all(&root).unwrap();
    let worker_log = p.runtime_root.join("worker.log");
    let log = std::fs::File::create(&worker_log).unwrap();
    let program = format!(
        "/bin/sh -c {} 'dump agent'",
        shlex::try_quote(AGENT).unwrap()
    );
    // Started as an orchestrator starts it, with descriptors 0, 1 and 2 only (this test process
    // may have inherited others without close-on-exec from whatever started it).
    let mut worker = tokio::process::Command::new("/bin/bash")
        .args(["-c", ONLY_STDIO, env!("CARGO_BIN_EXE_codex-k8s"), "worker"])
        .envs(secrets.iter().map(|(k, v)| (*k, v)))
        .env("CK8S_GITHUB_API_URL", p.github.base_url())
        .env("CK8S_GITHUB_BOT_LOGIN", BOT)
        .env("CK8S_PLATFORM_API_URL", &api_url)
        .env("CK8S_HTTP_ADDR", "127.0.0.1:0")
        .env("CK8S_RUNTIME_ROOT", &root)
        .env("CK8S_RUNTIME_TTL_SECS", "3600")
        .env("CK8S_AGENT_PROGRAM", &program)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("start codex-k8s worker");

    p.github.add_issue("acme/shop", 77, "task", &["run:dev"]);
    let (delivery, status, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 77, "run:dev", &["run:dev"]),
        )
        .await;
    assert!(status < 300, "{status}");
    let (outcome, reason, run) = p.routed(&delivery).await;
    assert_eq!(outcome, "run_started", "{reason:?}");
    let dump = dumped(&root, &worker_log).await;
    let read = |f: &str| std::fs::read_to_string(dump.join(f)).unwrap();

    // What the agent saw: its own environment, its own arguments, descriptors 0, 1 and 2.
    let env = read("env.txt");
    let names: BTreeSet<&str> = env
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, _)| k))
        .collect();
    println!("the agent's environment: {names:?}");
    let run_dir = dump.parent().unwrap();
    assert!(
        env.contains(&format!("HOME={}/home\n", run_dir.display())),
        "{env}"
    );
    assert!(names.contains("CK8S_RUN_TOKEN") && names.contains("CK8S_PLATFORM_URL"));
    let shell = [
        "PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "PWD", "SHLVL", "_",
    ];
    let unexpected: Vec<&&str> = names
        .iter()
        .filter(|n| !(n.starts_with("CK8S_") || shell.contains(n)))
        .collect();
    assert!(
        unexpected.is_empty(),
        "{unexpected:?} reached the agent:\n{env}"
    );
    let fds_text = read("fds.txt");
    let fds: BTreeSet<&str> = fds_text
        .lines()
        .filter_map(|l| l.split_once(" -> "))
        .filter_map(|(left, _)| left.rsplit(' ').next())
        .collect();
    assert_eq!(
        fds,
        BTreeSet::from(["0", "1", "2"]),
        "inherited descriptors: {fds_text}"
    );
    assert!(
        read("files.list").contains("prompt.md"),
        "the agent read its run directory"
    );
    let mut seen = String::new();
    for f in [
        "env.txt",
        "cmdline.txt",
        "fds.txt",
        "files.txt",
        "files.list",
    ] {
        seen.push_str(&read(f));
    }
    for (name, value) in &secrets {
        assert!(
            !seen.contains(value.as_str()),
            "{name}'s value reached the agent"
        );
    }

    // The attack: ask the Owner as the agent, then answer with every token the agent can make.
    let token = env
        .lines()
        .find_map(|l| l.strip_prefix("CK8S_RUN_TOKEN="))
        .unwrap()
        .to_owned();
    let ask = json!({
        "question": "Deploy on Friday?",
        "options": [{ "id": "yes", "label": "Yes" }, { "id": "no", "label": "No" }]
    });
    let asking = tokio::process::Command::new("node")
        .args([
            concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/mcp-conformance.mjs"),
            "call",
            "owner_feedback_request",
            &ask.to_string(),
        ])
        .env("MCP_URL", format!("{api_url}/mcp"))
        .env("MCP_TOKEN", &token)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node (and tests/npm-install.sh) are needed");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let request_id: Uuid = loop {
        let found: Option<Uuid> = sqlx::query_scalar("select id from approvals limit 1")
            .fetch_optional(&p.pool)
            .await
            .unwrap();
        if let Some(id) = found {
            break id;
        }
        assert!(tokio::time::Instant::now() < deadline, "no request opened");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let http = reqwest::Client::new();
    let answer_with = |key: String| {
        let http = http.clone();
        let url = format!("{api_url}{APPROVER_CALLBACK_PATH}");
        async move {
            let answer = json!({ "request_id": request_id, "decision": "approved", "by": "owner", "option_id": "yes" });
            http.post(url)
                .bearer_auth(callback_token(
                    &SigningKey::new(key),
                    Audience::Approver,
                    request_id,
                ))
                .json(&answer)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let mut keys = candidates(&dump);
    keys.insert(token.clone());
    keys.insert(request_id.to_string());
    // Who holds the request-signing secret (the approver, the executor) cannot answer either.
    keys.insert(secret(&secrets, "CK8S_APPROVER_SECRET").to_owned());
    assert!(keys.len() > 20, "{keys:?}");
    println!("self-approval attempts: {}", keys.len());
    for key in &keys {
        let status = answer_with(key.clone()).await;
        assert!(
            status == 401 || status == 403,
            "a token from {key:?} answered the request: {status}"
        );
    }
    assert_eq!(approval_state(&p, request_id).await, "requested");
    // The harness is sound: the platform's own callback key does answer.
    let status = answer_with(secret(&secrets, "CK8S_CALLBACK_SECRET").to_owned()).await;
    assert_eq!(status, 200);
    let asked = asking.wait_with_output().await.unwrap();
    let answered: Value = serde_json::from_str(
        String::from_utf8_lossy(&asked.stdout)
            .lines()
            .last()
            .unwrap(),
    )
    .unwrap();
    assert!(answered.to_string().contains("yes"), "{answered}");

    std::fs::write(dump.join("stop"), "").unwrap();
    assert!(run.is_some());
    // The agent exits before its worker is stopped.
    let pid = std::fs::read_to_string(run_dir.join("agent.pid")).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while Path::new(&format!("/proc/{}", pid.trim()))
        .join("cmdline")
        .exists()
        && !std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()))
            .unwrap_or_default()
            .contains(") Z")
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the agent did not stop"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    worker.start_kill().unwrap();
    worker.wait().await.unwrap();
    p.stop().await;
}
