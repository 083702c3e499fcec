//! The agent's work reaches the repository without the agent holding a write token: the real
//! codex CLI commits in a checkout of the git server's repository, the runner pushes the work
//! branch with the push credential (the repository binding's own token) after codex exited, the
//! platform opens the pull request in the fake GitHub and records the run's links; a write-scope
//! violation pushes nothing; a review's revise continues the pull request's branch.

use std::{path::PathBuf, sync::Arc, time::Duration};

use engine::RunStatus;
use serde_json::json;
use testkit::{
    git::{Access, GitServer, RefUpdate},
    github::BOT_LOGIN,
    model::{FakeModel, Script, Turn},
};
use uuid::Uuid;
use workflows::{
    directory::{self, Actor},
    runtime::AgentCommand,
    vault::Plain,
};

use crate::support::*;

fn codex_bin() -> PathBuf {
    let tests = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/node_modules");
    let native = PathBuf::from(tests)
        .join("@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex");
    let launcher = PathBuf::from(tests).join(".bin/codex");
    [native, launcher]
        .into_iter()
        .find(|p| p.exists())
        .expect("run tests/npm-install.sh: @openai/codex 0.171.0 is missing")
}

struct Setup {
    p: TestPlatform,
    fake: FakeModel,
    git: Arc<GitServer>,
    /// The repository binding's own token: the git server lets it push.
    repo_token: String,
    base: String,
}

/// The platform with codex behind the runner, the review gate off and a repository token.
async fn setup(script: Script) -> Setup {
    setup_with(script, 0, true).await
}

/// The platform with codex behind the runner: `review_max_rounds` 0 switches the gate off;
/// without `own_token` the repository is bound with no token of its own, and the git server lets
/// the platform token push (the fallback push credential).
async fn setup_with(script: Script, review_max_rounds: u32, own_token: bool) -> Setup {
    let git = Arc::new(GitServer::start().await.unwrap());
    let base = git
        .create_repo(
            "acme/shop",
            &[("README.md", "# Shop\n"), ("src/lib.rs", "")],
        )
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api_url = format!("http://{}", listener.local_addr().unwrap());
    let fake = FakeModel::start(script).await.unwrap();
    let command = AgentCommand {
        program: PathBuf::from(env!("CARGO_BIN_EXE_codex-k8s")),
        args: vec!["agent-runner".into()],
        env: vec![
            ("CK8S_CODEX_BIN".into(), codex_bin().display().to_string()),
            ("CK8S_MODEL_BASE_URL".into(), fake.base_url()),
            ("RUST_LOG".into(), "debug".into()),
        ],
    };
    let p = TestPlatform::start(Options {
        queues: vec![("ingress", 4), ("stages", 2)],
        agent: Some((command, api_url)),
        git: Some(git.clone()),
        review_max_rounds,
        ..Options::default()
    })
    .await;
    let router = p.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let repo_token = git.grant("repository", Access::Write);
    if !own_token {
        git.grant_token("platform", p.github.platform_token(), Access::Write);
        return Setup {
            p,
            fake,
            git,
            repo_token,
            base,
        };
    }
    let repo_id: Uuid =
        sqlx::query_scalar("select id from repositories where full_name = 'acme/shop'")
            .fetch_one(&p.pool)
            .await
            .unwrap();
    directory::set_repository_token(
        &p.pool,
        p.staff.vault.as_ref(),
        repo_id,
        &Plain::new(repo_token.clone()),
        Actor::Cli,
    )
    .await
    .unwrap();
    Setup {
        p,
        fake,
        git,
        repo_token,
        base,
    }
}

async fn start_run(p: &TestPlatform, issue: u64, label: &str) -> Uuid {
    p.github
        .add_issue("acme/shop", issue, "Add search", &[label]);
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", issue, label, &[label]),
        )
        .await;
    let (outcome, reason, run) = p.routed(&id).await;
    assert_eq!(outcome, "run_started", "{reason:?}");
    run.unwrap()
}

async fn links(p: &TestPlatform, run: Uuid) -> Vec<(String, String)> {
    sqlx::query_as("select kind, target from links where agent_run_id = $1 order by id")
        .bind(run)
        .fetch_all(&p.pool)
        .await
        .unwrap()
}

fn status_comment(p: &TestPlatform, issue: u64) -> String {
    p.github
        .comments("acme/shop", issue)
        .into_iter()
        .map(|(_, b)| b)
        .find(|b| b.contains("codex-k8s:run-status"))
        .unwrap_or_default()
}

const WORK: &str = "mkdir -p src && printf 'pub fn search() {}\\n' > src/search.rs \
    && git add -A && git commit -qm 'Add search' && env && cat .git/config";

#[tokio::test]
async fn codex_commits_the_runner_pushes_with_the_repository_token_and_a_review_revise_pushes_on_the_same_branch()
 {
    // The review below is delivered by the test (the gate's own reviewer has its test below).
    let s = setup(Script::new([
        Turn::tool_call(
            "exec_command",
            json!({ "cmd": WORK }),
            "## Add search\nImplemented the search box.",
        ),
        Turn::tool_call(
            "exec_command",
            json!({ "cmd": "printf 'pub fn search() -> u8 { 1 }\\n' > src/search.rs && git commit -qam 'Address the review'" }),
            "Addressed the review.",
        ),
    ]))
    .await;
    let p = &s.p;
    let run = start_run(p, 70, "run:dev").await;
    let done = p.finished(run, Duration::from_secs(60)).await;
    assert_eq!(done.summary.status, RunStatus::Succeeded, "{done:#?}");

    // The push: the work branch, created with the one commit, by the repository's own token.
    let pushes = s.git.pushes();
    assert_eq!(pushes.len(), 1, "{pushes:?}");
    assert_eq!(pushes[0].grant, "repository");
    let head = s.git.branch_head("acme/shop", "codex/issue-70").unwrap();
    assert_eq!(
        pushes[0].updates,
        [RefUpdate {
            name: "refs/heads/codex/issue-70".into(),
            old: None,
            new: Some(head.clone()),
        }]
    );
    assert_eq!(
        s.git
            .file_at("acme/shop", &head, "src/search.rs")
            .as_deref(),
        Some("pub fn search() {}")
    );
    assert_eq!(
        s.git.subjects("acme/shop", &format!("{}..{head}", s.base)),
        ["Add search"]
    );
    assert_eq!(
        s.git.author("acme/shop", &head).as_deref(),
        Some("codex-bot <codex-bot@users.noreply.github.com>")
    );
    // Clones and fetches used the platform's read token only.
    let fetches = s.git.fetches();
    assert!(
        !fetches.is_empty() && fetches.iter().all(|f| f.grant == "platform"),
        "{fetches:?}"
    );

    // The agent's environment and its checkout's .git/config (dumped into the model's next
    // request by the tool call) hold no token.
    let requests = s.fake.requests();
    let seen: String = requests.iter().map(|r| r.body.to_string()).collect();
    assert!(
        seen.contains("PATH=") && seen.contains("[core]"),
        "the dump reached the model"
    );
    assert!(
        !seen.contains(&s.repo_token),
        "the repository token reached the agent"
    );
    assert!(
        !seen.contains(p.github.platform_token()),
        "the platform token reached the agent"
    );

    // The pull request, opened by the bot, closing the Issue.
    let pulls = p.github.pull_requests("acme/shop");
    assert_eq!(pulls.len(), 1, "{pulls:?}");
    let (number, title, body, head_ref, open, author) = pulls[0].clone();
    assert_eq!(
        (title.as_str(), head_ref.as_str(), open),
        ("Add search", "codex/issue-70", true)
    );
    assert!(
        body.contains("Implemented the search box.") && body.contains("Closes #70"),
        "{body}"
    );
    assert_eq!(author, BOT_LOGIN);
    let recorded: Option<i64> =
        sqlx::query_scalar("select pull_request_number from agent_runs where id = $1")
            .bind(run)
            .fetch_one(&p.pool)
            .await
            .unwrap();
    assert_eq!(recorded, Some(number as i64));

    // Links, in the order they happened, and in the status comment.
    let kinds: Vec<(String, String)> = links(p, run)
        .await
        .into_iter()
        .filter(|(k, _)| k != "runtime" && k != "session")
        .collect();
    assert_eq!(
        kinds,
        [
            ("issue".to_owned(), "70".to_owned()),
            ("branch".to_owned(), "codex/issue-70".to_owned()),
            ("commit".to_owned(), head.clone()),
            ("pull_request".to_owned(), number.to_string()),
        ]
    );
    let all = links(p, run).await;
    assert!(all.iter().any(|(k, _)| k == "runtime"), "{all:?}");
    assert!(all.iter().any(|(k, _)| k == "session"), "{all:?}");
    let comment = status_comment(p, 70);
    assert!(
        comment.contains(&format!("| Pull request | #{number} |"))
            && comment.contains("`codex/issue-70`")
            && comment.contains(&head[..12]),
        "{comment}"
    );

    // The staff inspection returns the same links.
    let staff = p.token_for("owner@acme.test").await;
    let (code, detail, _) = p
        .staff_call(
            "GET",
            &format!("/api/v1/staff/runs/{run}"),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(code, 200, "{detail}");
    let recorded: Vec<(String, String)> = detail["links"]["recorded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["kind"].as_str().unwrap().to_owned(),
                l["target"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(recorded, all, "{detail}");

    // A changes-requested review starts a revise on the pull request's branch, from its head.
    let mut review = example("pull_request_review", Some("submitted"));
    review["repository"]["full_name"] = "acme/shop".into();
    review["sender"]["login"] = "owner".into();
    review["sender"]["type"] = "User".into();
    review["review"]["state"] = "changes_requested".into();
    review["pull_request"]["number"] = number.into();
    review["pull_request"]["labels"] = json!([]);
    let (id, _, _) = p.deliver("pull_request_review", &review).await;
    let (outcome, reason, revise) = p.routed(&id).await;
    assert_eq!(outcome, "run_started", "{reason:?}");
    let revise = revise.unwrap();
    let done = p.finished(revise, Duration::from_secs(60)).await;
    assert_eq!(done.summary.status, RunStatus::Succeeded, "{done:#?}");
    let pushes = s.git.pushes();
    assert_eq!(pushes.len(), 2, "{pushes:?}");
    let second = s.git.branch_head("acme/shop", "codex/issue-70").unwrap();
    assert_eq!(
        pushes[1].updates,
        [RefUpdate {
            name: "refs/heads/codex/issue-70".into(),
            old: Some(head.clone()),
            new: Some(second.clone()),
        }],
        "the revise started from the pull request's head and fast-forwarded it"
    );
    assert_eq!(
        s.git
            .subjects("acme/shop", &format!("{}..{second}", s.base)),
        ["Address the review", "Add search"]
    );
    let pulls = p.github.pull_requests("acme/shop");
    assert_eq!(
        pulls.len(),
        1,
        "the revise updated the same pull request: {pulls:?}"
    );
    assert_eq!(
        pulls[0].1, "Add search",
        "a revise keeps the pull request's description"
    );
    assert!(
        links(p, revise)
            .await
            .contains(&("pull_request".to_owned(), number.to_string()))
    );
    // The revise resumed the stage's codex thread (same role, same Issue: ADR 0020).
    let threads: std::collections::BTreeSet<String> = s
        .fake
        .requests()
        .iter()
        .filter_map(|r| r.thread_id().map(str::to_owned))
        .collect();
    assert_eq!(
        threads.len(),
        1,
        "one codex thread for dev and its revise: {threads:?}"
    );
    let pool = p.pool.clone();
    s.p.stop().await;
    pool.close().await;
}

#[tokio::test]
async fn a_write_scope_violation_pushes_nothing_and_names_the_paths() {
    let s = setup(Script::new([Turn::tool_call(
        "exec_command",
        json!({ "cmd": "printf 'fn main() {}\\n' > src/main.rs && printf '# PRD\\n' > prd.md && git add -A && git commit -qm 'PRD and code'" }),
        "Wrote the PRD.",
    )]))
    .await;
    let p = &s.p;
    let run = start_run(p, 71, "run:prd").await;
    let done = p.finished(run, Duration::from_secs(60)).await;
    assert_eq!(done.summary.status, RunStatus::Failed, "{done:#?}");
    let error = done.error.clone().unwrap_or_default();
    assert_eq!(error["code"], "write_scope_violation", "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("src/main.rs"),
        "{error}"
    );
    assert!(s.git.pushes().is_empty(), "{:?}", s.git.pushes());
    assert_eq!(s.git.branch_head("acme/shop", "codex/issue-71"), None);
    assert!(p.github.pull_requests("acme/shop").is_empty());
    let status: Option<String> =
        sqlx::query_scalar("select agent_status from agent_runs where id = $1")
            .bind(run)
            .fetch_one(&p.pool)
            .await
            .unwrap();
    assert!(
        status
            .as_deref()
            .unwrap_or_default()
            .contains("src/main.rs"),
        "the runner said which paths: {status:?}"
    );
    let pool = p.pool.clone();
    s.p.stop().await;
    pool.close().await;
}

#[tokio::test]
async fn a_codex_reviewer_reviews_the_pushed_pull_request_and_its_approve_hands_the_issue_to_the_owner()
 {
    let verdict = json!({ "status": "done", "summary": "Search is small and tested.", "verdict": "approve", "blocking_findings": 0, "open_questions": [] });
    // The stage's codex commits; then the reviewer's codex (a second session) answers its verdict.
    let s = setup_with(
        Script::new([
            Turn::tool_call(
                "exec_command",
                json!({ "cmd": "mkdir -p src && printf 'pub fn search() {}\\n' > src/search.rs && git add -A && git commit -qm 'Add search'" }),
                "## Add search\nImplemented the search box.",
            ),
            Turn::message(verdict.to_string()),
        ]),
        2,
        false,
    )
    .await;
    let p = &s.p;
    let stage = start_run(p, 73, "run:dev").await;
    let done = p.finished(stage, Duration::from_secs(60)).await;
    assert_eq!(done.summary.status, RunStatus::Succeeded, "{done:#?}");
    // Pushed with the platform token: the repository has no token of its own.
    let pushes = s.git.pushes();
    assert_eq!(pushes.len(), 1, "{pushes:?}");
    assert_eq!(pushes[0].grant, "platform");
    let head = s.git.branch_head("acme/shop", "codex/issue-73").unwrap();
    let pulls = p.github.pull_requests("acme/shop");
    assert_eq!(pulls.len(), 1, "{pulls:?}");
    let number = pulls[0].0;

    // The reviewer run started by itself, on the same Issue and pull request, and approved.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let reviewer: Uuid = loop {
        let found: Option<Uuid> = sqlx::query_scalar(
            "select id from agent_runs where kind = 'reviewer' and issue_number = 73",
        )
        .fetch_optional(&p.pool)
        .await
        .unwrap();
        if let Some(id) = found {
            break id;
        }
        assert!(tokio::time::Instant::now() < deadline, "no reviewer run");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let reviewed = p.finished(reviewer, Duration::from_secs(60)).await;
    assert_eq!(
        reviewed.summary.status,
        RunStatus::Succeeded,
        "{reviewed:#?}"
    );
    let (verdict, pr, stage_run): (String, Option<i64>, Option<Uuid>) = sqlx::query_as(
        "select verdict, pull_request_number, stage_run_id from reviews where reviewer_run_id = $1",
    )
    .bind(reviewer)
    .fetch_one(&p.pool)
    .await
    .unwrap();
    assert_eq!(
        (verdict.as_str(), pr, stage_run),
        ("approve", Some(number as i64), Some(stage))
    );
    let sessions: std::collections::BTreeSet<String> = s
        .fake
        .requests()
        .iter()
        .filter_map(|r| r.thread_id().map(str::to_owned))
        .collect();
    assert_eq!(
        sessions.len(),
        2,
        "two codex sessions: the stage's and the reviewer's"
    );
    // Only now is it the Owner's turn; the reviewer pushed nothing.
    let issue = p.github.labels("acme/shop", 73);
    assert!(issue.contains(&"state:in-review".to_owned()), "{issue:?}");
    let pull = p.github.labels("acme/shop", number);
    assert!(!pull.contains(&"need:reviewer".to_owned()), "{pull:?}");
    assert_eq!(s.git.pushes().len(), 1);
    assert_eq!(s.git.branch_head("acme/shop", "codex/issue-73"), Some(head));
    let verdict_comment = p
        .github
        .comments("acme/shop", 73)
        .into_iter()
        .map(|(_, b)| b)
        .find(|b| b.contains(&format!("run_id={reviewer}")))
        .unwrap_or_default();
    assert!(
        verdict_comment.contains("Reviewer verdict: `approve`")
            && verdict_comment.contains("Search is small and tested."),
        "{verdict_comment}"
    );
    let pool = p.pool.clone();
    s.p.stop().await;
    pool.close().await;
}

#[tokio::test]
async fn a_pull_request_created_whose_answer_was_lost_is_found_on_the_retry_not_opened_twice() {
    let s = setup(Script::new([Turn::tool_call(
        "exec_command",
        json!({ "cmd": "mkdir -p src && printf 'pub fn search() {}\\n' > src/search.rs && git add -A && git commit -qm 'Add search'" }),
        "## Add search\nImplemented the search box.",
    )]))
    .await;
    let p = &s.p;
    // GitHub opens the pull request but its answer is lost: the step fails and is retried.
    p.github.fail_next(
        http::Method::POST,
        "/repos/acme/shop/pulls",
        testkit::github::Fault::AnswerLost(502),
        1,
    );
    let run = start_run(p, 74, "run:dev").await;
    let done = p.finished(run, Duration::from_secs(60)).await;
    assert_eq!(done.summary.status, RunStatus::Succeeded, "{done:#?}");
    let creates = p
        .github
        .requests()
        .iter()
        .filter(|r| r.method == http::Method::POST && r.path == "/repos/acme/shop/pulls")
        .count();
    assert_eq!(
        creates, 1,
        "the retry found the pull request instead of opening another"
    );
    let pulls = p.github.pull_requests("acme/shop");
    assert_eq!(pulls.len(), 1, "{pulls:?}");
    let number = pulls[0].0;
    let step = done
        .steps
        .iter()
        .find(|st| st.name == "open_pull_request")
        .expect("the pull request step");
    assert!(
        step.attempts >= 2,
        "the lost answer failed an attempt: {step:?}"
    );
    assert!(
        links(p, run)
            .await
            .contains(&("pull_request".to_owned(), number.to_string()))
    );
    let pool = p.pool.clone();
    s.p.stop().await;
    pool.close().await;
}
