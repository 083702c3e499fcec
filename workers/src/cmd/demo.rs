//! `dev --demo`: posts a signed, recorded GitHub delivery (`issues.labeled` with `run:dev`) to the
//! platform's own webhook ingress, follows the routing, the stage run and the reviewer's
//! pre-review it starts, and prints what happened: the agent's commit on the work branch (in a
//! local git server holding the demo repository), the pull request the platform opened, the
//! reviewer's verdict, the run's links and the status comments the fake GitHub received.

use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use testkit::{
    git::{Access, GitServer},
    github::FakeGitHub,
};
use tokio_util::sync::CancellationToken;
use workflows::store::{
    directory::{self, NewProject, NewUser},
    link, review, webhook_delivery,
};

use super::{codex_demo::CodexDemo, follow};
use crate::{api, config::Secret, platform::Wiring};

/// The recorded payload (see `src/demo/README.md`).
const RECORDED: &str = include_str!("../demo/issues-labeled.json");

/// Runs the demo; true when the stage run succeeded.
pub(crate) async fn run(
    wiring: &Wiring,
    fake: &FakeGitHub,
    api_base: &str,
    secret: &Secret,
    shutdown: &CancellationToken,
    codex: Option<CodexDemo>,
) -> anyhow::Result<bool> {
    let mut payload: Value =
        serde_json::from_str(RECORDED).context("parse the recorded payload")?;
    let repo = payload["repository"]["full_name"]
        .as_str()
        .context("repository")?
        .to_owned();
    let sender = payload["sender"]["login"]
        .as_str()
        .context("sender")?
        .to_owned();
    let issue = payload["issue"]["number"]
        .as_u64()
        .context("issue number")?;
    let title = payload["issue"]["title"]
        .as_str()
        .unwrap_or("demo")
        .to_owned();
    let mut label = payload["label"].clone();
    label["name"] = json!("run:dev");
    payload["label"] = label.clone();
    payload["issue"]["labels"] = json!([label]);

    let pool = &wiring.platform.pool;
    let user = directory::upsert_user(
        pool,
        &NewUser {
            email: "owner@example.com",
            github_login: &sender,
            // `dev` has made its local platform owner already; the demo's sender is the project's admin.
            owner: false,
            admin: false,
        },
    )
    .await?;
    let project = directory::upsert_project(
        pool,
        &NewProject {
            slug: "demo",
            name: "Demo",
            locale: None,
            learning_mode_default: None,
            max_active_runs: 2,
        },
    )
    .await?;
    directory::upsert_member(pool, project, user, "admin").await?;
    directory::bind_repository(pool, project, &repo, "main").await?;
    fake.add_issue(&repo, issue, &title, &["run:dev"]);
    // The repository itself: the agent works in a checkout, the runner pushes the work branch with
    // the platform token (the binding has no token of its own).
    let git = GitServer::start()
        .await
        .context("start the local git server (needs git)")?;
    let base = git
        .create_repo(&repo, &[("README.md", "# Demo shop\n")])
        .context("create the demo repository")?;
    fake.set_clone_url(&repo, &git.clone_url(&repo));
    git.grant_token("platform", fake.platform_token(), Access::Write);
    println!("git       local git server: {}", git.clone_url(&repo));
    println!("\ndemo      {repo}#{issue}: {sender} (project admin) adds run:dev");

    // Kept alive for the whole run: the scripted model codex talks to.
    let _model = codex.map(|c| c.answer_questions(sender.clone(), shutdown.child_token()));
    let body = payload.to_string();
    let delivery_id = uuid::Uuid::new_v4().to_string();
    let response = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?
        .post(format!("{api_base}/api/v1/webhooks/github"))
        .header("content-type", "application/json")
        .header("x-github-event", "issues")
        .header("x-github-delivery", &delivery_id)
        .header(
            "x-hub-signature-256",
            api::sign(secret.expose().as_bytes(), body.as_bytes()),
        )
        .body(body)
        .send()
        .await
        .context("post the delivery")?;
    println!(
        "webhook   {} {}",
        response.status(),
        response.text().await.unwrap_or_default()
    );

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let agent_run = loop {
        let d = webhook_delivery::get(pool, &delivery_id)
            .await?
            .context("delivery stored")?;
        if d.outcome != "accepted" {
            println!("routed    {} {}", d.outcome, d.reason.unwrap_or_default());
            break d.agent_run_id;
        }
        if tokio::time::Instant::now() > deadline {
            bail!("the delivery was not routed");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let agent_run = agent_run.context("the delivery started no stage run")?;
    let mut nothing = |_: &engine::RunDetail| None;
    let stage = follow::follow(&wiring.client, agent_run, shutdown, &mut nothing).await?;
    follow::print_timeline(&stage);
    let mut ok = follow::succeeded(&stage);
    let branch = format!("codex/issue-{issue}");
    match git.branch_head(&repo, &branch) {
        Some(head) => {
            let subjects = git.subjects(&repo, &format!("{base}..{head}"));
            println!(
                "\ncommit    {} on {branch}: {}",
                &head[..12.min(head.len())],
                subjects.join(" · ")
            );
        }
        None => println!(
            "\ncommit    none on {branch} (the scripted stand-in commits nothing; with the codex CLI installed the agent commits and the runner pushes)"
        ),
    }
    for (number, title, _, head_ref, open, author) in fake.pull_requests(&repo) {
        println!(
            "pull req  #{number} \"{title}\" {head_ref} → main by {author} ({}): {}/{repo}/pull/{number}",
            if open { "open" } else { "closed" },
            fake.base_url()
        );
    }
    if let Some(reviewer) = review::reviewer_of_stage_run(pool, agent_run).await? {
        let run = follow::follow(&wiring.client, reviewer, shutdown, &mut nothing).await?;
        ok &= follow::succeeded(&run);
        let verdict = review::get(pool, reviewer).await?;
        match verdict {
            Some(r) => println!(
                "verdict   {} by the reviewer run {reviewer} (round {}): {}",
                r.verdict.as_deref().unwrap_or("none"),
                r.round,
                r.summary.as_deref().unwrap_or("")
            ),
            None => println!("verdict   none recorded by the reviewer run {reviewer}"),
        }
    }
    println!("links     of the stage run {agent_run}:");
    for l in link::list_for_run(pool, agent_run).await? {
        let url = l.metadata["url"].as_str().unwrap_or_default();
        println!("          {:<12} {} {url}", l.kind, l.target);
    }
    for (id, body) in fake
        .comments(&repo, issue)
        .iter()
        .filter(|(_, body)| body.contains("codex-k8s:run-status"))
    {
        println!("\nstatus comment #{id} on {repo}#{issue}:\n{body}");
    }
    println!("labels    {repo}#{issue}: {:?}", fake.labels(&repo, issue));
    Ok(ok)
}
