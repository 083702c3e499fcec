//! Docs indexing triggered from the webhook ingress: a signed, recorded `push` delivery to the
//! default branch of a bound repository re-indexes its documents; other pushes do not. The
//! indexing run's progress and counts are visible in inspection: the engine's run detail and the
//! staff API's audit log.

use std::time::Duration;

use engine::{RunFilter, RunStatus};
use serde_json::Value;

use crate::support::*;

/// A recorded `push` of `acme/shop` to `git_ref`, whose default branch is `main`.
fn push(git_ref: &str, after: &str) -> Value {
    let mut p = example("push", None);
    p["ref"] = git_ref.into();
    p["after"] = after.into();
    p["repository"]["full_name"] = "acme/shop".into();
    p["repository"]["name"] = "shop".into();
    p["repository"]["default_branch"] = "main".into();
    p["sender"]["login"] = "owner".into();
    p
}

/// The docs_index runs so far, oldest first.
async fn index_runs(p: &TestPlatform) -> Vec<uuid::Uuid> {
    let filter = RunFilter {
        kind: Some("docs_index".into()),
        ..RunFilter::default()
    };
    let mut runs: Vec<_> = p.wiring.client.list_runs(&filter).await.unwrap().runs;
    runs.reverse();
    runs.into_iter().map(|r| r.id).collect()
}

async fn paths(p: &TestPlatform) -> Vec<(String, String)> {
    sqlx::query_as("select distinct path, blob_sha from doc_chunks order by path")
        .fetch_all(&p.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_push_to_the_default_branch_reindexes_the_repositorys_docs() {
    let p = TestPlatform::start(Options {
        queues: vec![("ingress", 4), ("docs", 2)],
        ..Options::default()
    })
    .await;
    let readme = p
        .github
        .put_file("acme/shop", "README.md", "# Shop\n\nSells things.\n");
    let runbook = p.github.put_file(
        "acme/shop",
        "docs/runbook.md",
        "# Runbook\n\n## Backups\n\nNightly, kept 7 days.\n",
    );

    let (id, status, _) = p.deliver("push", &push("refs/heads/main", "f00d")).await;
    assert_eq!(status, 202);
    let routed = p.routed(&id).await;
    assert_eq!(
        (routed.0.as_str(), routed.1.as_deref()),
        ("recorded", Some("default_branch_push"))
    );
    let runs = index_runs(&p).await;
    assert_eq!(runs.len(), 1, "one indexing run for the push");
    let run = p.finished(runs[0], Duration::from_secs(30)).await;
    assert_eq!(run.summary.status, RunStatus::Succeeded, "{run:#?}");
    assert_eq!(run.input["trigger"], "push");
    assert_eq!(run.input["head_sha"], "f00d");
    assert_eq!(
        paths(&p).await,
        [
            ("README.md".to_owned(), readme),
            ("docs/runbook.md".to_owned(), runbook),
        ]
    );
    let embedded = p.embeddings.embedded();

    // A push to another branch records nothing and indexes nothing.
    let (id, _, _) = p.deliver("push", &push("refs/heads/feature", "beef")).await;
    assert_eq!(p.routed(&id).await.0, "ignored");
    // The redelivery of the first push starts no second run.
    let body = push("refs/heads/main", "f00d").to_string();
    let signature = workers::api::sign(SECRET.as_bytes(), body.as_bytes());
    let (status, _, _) = p
        .post(
            "push",
            &id_of_first(&p).await,
            body.as_bytes(),
            Some(signature),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(index_runs(&p).await.len(), 1);

    // The next push to main re-indexes only what changed.
    p.github.put_file(
        "acme/shop",
        "docs/runbook.md",
        "# Runbook\n\n## Backups\n\nNightly, kept 30 days.\n",
    );
    let (id, _, _) = p.deliver("push", &push("refs/heads/main", "cafe")).await;
    p.routed(&id).await;
    let runs = index_runs(&p).await;
    assert_eq!(runs.len(), 2);
    let run = p.finished(runs[1], Duration::from_secs(30)).await;
    assert_eq!(run.output.as_ref().unwrap()["embedded"], 1, "{run:#?}");
    assert_eq!(run.output.as_ref().unwrap()["unchanged"], 1, "{run:#?}");
    assert_eq!(
        p.embeddings.embedded() - embedded,
        1,
        "the runbook's one chunk"
    );
    p.stop().await;
}

#[tokio::test]
async fn an_indexing_runs_steps_and_counts_are_visible_in_inspection_and_the_staff_audit_log() {
    let p = TestPlatform::start(Options {
        queues: vec![("ingress", 4), ("docs", 2)],
        ..Options::default()
    })
    .await;
    p.github
        .put_file("acme/shop", "README.md", "# Shop\n\nSells things.\n");
    p.github.put_file(
        "acme/shop",
        "docs/adr/0001-queues.md",
        "# Queues\n\n## Context\n\nOne queue per stage.\n\n## Decision\n\nPostgres.\n",
    );
    let (id, _, _) = p.deliver("push", &push("refs/heads/main", "f00d")).await;
    p.routed(&id).await;
    let run_id = index_runs(&p).await[0];
    let run = p.finished(run_id, Duration::from_secs(30)).await;
    assert_eq!(run.summary.status, RunStatus::Succeeded, "{run:#?}");

    // Progress: each step of the engine's run detail, with its output.
    let steps: Vec<&str> = run.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        steps,
        [
            "load_repository",
            "list_documents",
            "plan",
            "index_batch",
            "record_outcome"
        ]
    );
    assert_eq!(
        run.steps[1].output.as_ref().unwrap()["done"]["files"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "{run:#?}"
    );
    let batch = &run.steps[3].output.as_ref().unwrap()["done"];
    assert_eq!(batch["documents"], 2, "{run:#?}");
    assert_eq!(batch["chunks"], 3, "{run:#?}");

    // Counts: the run's outcome, also in the staff API's audit log (platform owners and admins).
    let owner = p.token_for("owner@acme.test").await;
    let (status, page, _) = p
        .staff_call(
            "GET",
            &format!("/api/v1/staff/audit-events?kind=docs_indexed&run_id={run_id}"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["run_id"], run_id.to_string());
    let detail = &items[0]["detail"];
    assert_eq!(detail["trigger"], "push", "{detail}");
    assert_eq!(detail["head_sha"], "f00d", "{detail}");
    let outcome = &detail["outcome"];
    assert_eq!(outcome["repository"], "acme/shop", "{detail}");
    assert_eq!(
        (
            &outcome["documents"],
            &outcome["embedded"],
            &outcome["chunks_written"]
        ),
        (&Value::from(2), &Value::from(2), &Value::from(3)),
        "{detail}"
    );
    assert_eq!(outcome["usage"]["inputs"], 3, "{detail}");
    assert_eq!(
        run.output.as_ref(),
        Some(outcome),
        "the audit event is the run's output"
    );
    p.stop().await;
}

/// The delivery id of the first push (the oldest delivery).
async fn id_of_first(p: &TestPlatform) -> String {
    sqlx::query_scalar(
        "select delivery_id from webhook_deliveries where event = 'push' order by id limit 1",
    )
    .fetch_one(&p.pool)
    .await
    .unwrap()
}
