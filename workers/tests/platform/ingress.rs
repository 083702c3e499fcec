use std::collections::HashSet;

use serde_json::json;
use workers::api;

use crate::support::*;

#[tokio::test]
async fn a_signed_delivery_is_accepted_and_bad_requests_get_problem_json() {
    let p = TestPlatform::start(Options {
        queues: vec![],
        ..Options::default()
    })
    .await;
    let payload = issue_labeled("owner", "User", 1, "run:dev", &["run:dev"]).to_string();
    let good = api::sign(SECRET.as_bytes(), payload.as_bytes());

    let (status, body, _) = p
        .post("issues", "d-1", payload.as_bytes(), Some(good.clone()))
        .await;
    assert_eq!((status, body["status"].as_str()), (202, Some("accepted")));

    let (status, body, content_type) = p.post("issues", "d-2", payload.as_bytes(), None).await;
    assert_eq!(status, 401);
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(
        body["type"],
        "https://codex-k8s.dev/problems/missing-signature"
    );

    let forged = api::sign(b"not the secret", payload.as_bytes());
    let (status, body, _) = p
        .post("issues", "d-3", payload.as_bytes(), Some(forged))
        .await;
    assert_eq!(
        (status, body["type"].as_str()),
        (401, Some("https://codex-k8s.dev/problems/bad-signature"))
    );

    let tampered = payload.replace("run:dev", "run:ops");
    let (status, _, _) = p
        .post("issues", "d-4", tampered.as_bytes(), Some(good.clone()))
        .await;
    assert_eq!(status, 401, "the signature covers the exact bytes");

    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat((1 << 20) + 10));
    let sig = api::sign(SECRET.as_bytes(), big.as_bytes());
    let (status, body, _) = p.post("issues", "d-5", big.as_bytes(), Some(sig)).await;
    assert_eq!((status, body["status"].as_u64()), (413, Some(413)));

    let broken = b"{\"action\": \"labeled\", ";
    let (status, body, _) = p
        .post(
            "issues",
            "d-6",
            broken,
            Some(api::sign(SECRET.as_bytes(), broken)),
        )
        .await;
    assert_eq!(
        (status, body["type"].as_str()),
        (400, Some("https://codex-k8s.dev/problems/malformed-json"))
    );

    let stored: i64 = sqlx::query_scalar("select count(*) from webhook_deliveries")
        .fetch_one(&p.pool)
        .await
        .unwrap();
    assert_eq!(stored, 1, "only the accepted delivery is stored");
    p.stop().await;
}

#[tokio::test]
async fn a_hundred_concurrent_redeliveries_start_one_run() {
    let p = TestPlatform::start(Options {
        queues: vec![("ingress", 8)],
        ..Options::default()
    })
    .await;
    p.github
        .add_issue("acme/shop", 5, "Add search", &["run:dev"]);
    let body = issue_labeled("owner", "User", 5, "run:dev", &["run:dev"]).to_string();
    let sig = api::sign(SECRET.as_bytes(), body.as_bytes());
    let posts = (0..100).map(|_| {
        let (router_p, body, sig) = (&p, body.clone(), sig.clone());
        async move {
            router_p
                .post("issues", "same-delivery", body.as_bytes(), Some(sig))
                .await
        }
    });
    let answers = futures::future::join_all(posts).await;
    let accepted = answers.iter().filter(|(s, _, _)| *s == 202).count();
    let duplicates = answers
        .iter()
        .filter(|(s, b, _)| *s == 200 && b["duplicate"] == json!(true))
        .count();
    assert_eq!((accepted, duplicates), (1, 99));
    let (outcome, _, run) = p.routed("same-delivery").await;
    assert_eq!(outcome, "run_started");
    let runs: i64 = sqlx::query_scalar("select count(*) from agent_runs")
        .fetch_one(&p.pool)
        .await
        .unwrap();
    assert_eq!(runs, 1);
    let routing: i64 =
        sqlx::query_scalar("select count(*) from workflow_runs where kind = 'github_delivery'")
            .fetch_one(&p.pool)
            .await
            .unwrap();
    assert_eq!(routing, 1);
    // A later redelivery answers with the first outcome.
    let (status, answer, _) = p
        .post("issues", "same-delivery", body.as_bytes(), Some(sig))
        .await;
    assert_eq!(
        (status, answer["first_outcome"].as_str()),
        (200, Some("run_started"))
    );
    assert_eq!(answer["agent_run_id"], json!(run.unwrap()));
    let ids: HashSet<_> = answers
        .iter()
        .map(|(_, b, _)| b["delivery_id"].clone())
        .collect();
    assert_eq!(ids.len(), 1);
    p.stop().await;
}
