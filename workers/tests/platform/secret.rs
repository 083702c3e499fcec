//! No secret, token or password in any log line or audit row.

use std::process::Command;

use crate::support::*;

fn run(args: &[&str], env: &[(&str, &str)]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_codex-k8s"))
        .args(args)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "debug")
        .env("RUST_BACKTRACE", "0")
        .env("CK8S_HTTP_ADDR", "127.0.0.1:0")
        .envs(env.iter().copied())
        .output()
        .expect("run codex-k8s");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_database_password_never_appears_in_the_logs_even_when_connecting_fails() {
    let password = "pw-4f1e9d0c-never-log";
    let url = format!("postgres://codex:{password}@127.0.0.1:1/codex");
    let out = run(&["migrate"], &[("DATABASE_URL", &url)]);
    assert!(out.contains("connect to Postgres"), "{out}");
    assert!(!out.contains(password), "{out}");
}

#[test]
fn a_full_demo_run_at_debug_level_logs_no_webhook_secret() {
    let secret = "whsec-9b2a7c31-never-log";
    let out = run(
        &["dev", "--demo"],
        &[
            ("CK8S_GITHUB_WEBHOOK_SECRET", secret),
            ("CK8S_LOG_FORMAT", "json"),
        ],
    );
    assert!(out.contains("status comment #"), "the demo ran: {out}");
    assert!(!out.contains(secret), "secret in output");
    // With the codex CLI (installed by tests/npm-install.sh) the demo shows the whole path: the
    // agent's commit on the work branch, the pull request, the reviewer's verdict and the links.
    for shown in [
        "Describe the search backend",
        "pull req  #",
        "verdict   approve by the reviewer run",
        "pull_request",
        "Reviewer verdict: `approve`",
    ] {
        assert!(out.contains(shown), "{shown:?} in the demo's output: {out}");
    }
    assert!(
        out.contains("\ncommit    ") && !out.contains("commit    none"),
        "{out}"
    );
}

#[tokio::test]
async fn tokens_never_reach_flow_events_or_step_history() {
    let p = TestPlatform::start(Options::default()).await;
    p.github.add_issue("acme/shop", 70, "task", &["run:dev"]);
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 70, "run:dev", &["run:dev"]),
        )
        .await;
    let (_, _, run) = p.routed(&id).await;
    p.finished(run.unwrap(), std::time::Duration::from_secs(30))
        .await;
    for token in [p.github.platform_token(), p.github.bot_token()] {
        let token = token.to_owned();
        let leaks: i64 = sqlx::query_scalar(
            "select (select count(*) from flow_events where detail::text like '%' || $1 || '%')
                  + (select count(*) from workflow_steps where coalesce(output::text, '') || coalesce(error::text, '') like '%' || $1 || '%')
                  + (select count(*) from workflow_runs where input::text || coalesce(output::text, '') || coalesce(error::text, '') like '%' || $1 || '%')",
        )
        .bind(&token)
        .fetch_one(&p.pool)
        .await
        .unwrap();
        assert_eq!(leaks, 0);
    }
    let secret_leaks: i64 = sqlx::query_scalar(
        "select count(*) from webhook_deliveries where payload::text like '%' || $1 || '%'",
    )
    .bind(SECRET)
    .fetch_one(&p.pool)
    .await
    .unwrap();
    assert_eq!(secret_leaks, 0);
    p.stop().await;
}
