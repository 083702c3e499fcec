//! The checkout credential of a cluster agent pod (ADR 0027), with the real git and the git
//! server of test support (every read needs a token): git's credential helper
//! `codex-k8s git-credential` exchanges the run token for the repository's token through the
//! served runner API, once and only before the agent's first heartbeat, and nothing of it is
//! left in the checkout.

use std::{path::Path, sync::Arc};

use testkit::git::GitServer;
use uuid::Uuid;

use crate::{
    outcome::{api_listener, dev_run, serve, token},
    support::*,
};

/// `git clone` of `url` into `into` with the platform's credential helper and no other.
async fn clone_with_helper(
    url: &str,
    into: &Path,
    run_token: &str,
    api: &str,
) -> std::process::Output {
    let helper = format!(
        "credential.helper=!{} git-credential",
        env!("CARGO_BIN_EXE_codex-k8s")
    );
    // Not blocking: the platform answering the helper runs on this test's runtime.
    tokio::process::Command::new("git")
        .args([
            "-c",
            "credential.helper=",
            "-c",
            &helper,
            "clone",
            "--quiet",
            url,
        ])
        .arg(into)
        .env("CK8S_RUN_TOKEN", run_token)
        .env("CK8S_PLATFORM_URL", api)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", into.parent().unwrap())
        .output()
        .await
        .expect("git")
}

async fn set_running(p: &TestPlatform, run: Uuid) {
    sqlx::query("update agent_runs set status = 'running' where id = $1")
        .bind(run)
        .execute(&p.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_private_repository_is_cloned_with_a_credential_the_launch_gets_once_before_its_agent_starts()
 {
    let git = Arc::new(GitServer::start().await.unwrap());
    git.create_repo("acme/shop", &[("README.md", "# Shop\n")])
        .unwrap();
    let p = TestPlatform::start(Options {
        queues: vec![("ingress", 4)],
        git: Some(git.clone()),
        ..Options::default()
    })
    .await;
    let (listener, api) = api_listener().await;
    serve(&p, listener);
    let run = dev_run(&p, 80).await;
    let url = git.clone_url("acme/shop");
    let dir = std::env::temp_dir().join(format!("ck8s-checkout-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();

    // Without a credential the repository cannot be read.
    let anonymous = tokio::process::Command::new("git")
        .args(["-c", "credential.helper=", "clone", "--quiet", &url])
        .arg(dir.join("anonymous"))
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .await
        .unwrap();
    assert!(!anonymous.status.success(), "the repository is private");

    // A queued run gets nothing; a running one's launch clones, once.
    let launch = token(&p, run, 0).await;
    let refused = clone_with_helper(&url, &dir.join("early"), launch.expose(), &api).await;
    assert!(
        !refused.status.success(),
        "a run that is not running gets no credential"
    );
    set_running(&p, run).await;
    let repo = dir.join("repo");
    let cloned = clone_with_helper(&url, &repo, launch.expose(), &api).await;
    assert!(
        cloned.status.success(),
        "{}",
        String::from_utf8_lossy(&cloned.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(repo.join("README.md")).unwrap(),
        "# Shop\n"
    );
    let config = std::fs::read_to_string(repo.join(".git/config")).unwrap();
    assert!(
        !config.contains("credential") && !config.contains('@'),
        "{config}"
    );
    let stored = git_tokens(&p).await;
    for t in &stored {
        assert!(
            !config.contains(t.as_str()),
            "no token in the checkout's config"
        );
    }

    // The credential is spent: neither a second clone nor the agent gets it.
    let again = clone_with_helper(&url, &dir.join("again"), launch.expose(), &api).await;
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("checkout-credential-spent"), "{stderr}");

    // A launch whose agent has sent a heartbeat has started: no credential for it either.
    let relaunch = token(&p, run, 1).await;
    sqlx::query("update run_tokens set last_heartbeat_at = now() where token_sha256 = $1")
        .bind(relaunch.fingerprint())
        .execute(&p.pool)
        .await
        .unwrap();
    let late = clone_with_helper(&url, &dir.join("late"), relaunch.expose(), &api).await;
    assert!(
        !late.status.success(),
        "an agent that runs cannot ask for it"
    );
    p.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// The tokens the git server accepts for reading (the platform's), to look for in the checkout.
async fn git_tokens(p: &TestPlatform) -> Vec<String> {
    vec![p.github.platform_token().to_owned()]
}
