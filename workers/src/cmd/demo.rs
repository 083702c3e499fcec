//! `dev --demo`: posts a signed, recorded GitHub delivery (`issues.labeled` with `run:dev`) to the
//! platform's own webhook ingress, follows the routing and the stage run, and prints the status
//! comment the fake GitHub received.

use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use testkit::github::FakeGitHub;
use tokio_util::sync::CancellationToken;
use workflows::store::{
    directory::{self, NewProject, NewUser},
    webhook_delivery,
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
    let comments = fake.comments(&repo, issue);
    match comments
        .iter()
        .find(|(_, body)| body.contains("codex-k8s:run-status"))
    {
        Some((id, body)) => println!("\nstatus comment #{id} on {repo}#{issue}:\n{body}"),
        None => println!("\nno status comment was posted"),
    }
    println!("labels    {:?}", fake.labels(&repo, issue));
    Ok(follow::succeeded(&stage))
}
