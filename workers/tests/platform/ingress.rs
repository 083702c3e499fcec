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

#[tokio::test]
async fn a_nul_in_a_signed_payload_is_stored_replaced_and_a_number_past_int8_is_ignored_not_wrapped()
 {
    let p = TestPlatform::start(Options {
        queues: vec![("ingress", 2)],
        ..Options::default()
    })
    .await;
    // A NUL inside a string (jsonb cannot hold it): accepted, stored with U+FFFD, and a
    // redelivery is a duplicate, not a permanent 500.
    let mut payload = issue_labeled("owner", "User", 3, "run:dev", &["run:dev"]);
    payload["issue"]["title"] = json!("before\u{0}after");
    let body = payload.to_string();
    assert!(body.contains("\\u0000"));
    let sig = api::sign(SECRET.as_bytes(), body.as_bytes());
    let (status, reply, _) = p
        .post("issues", "nul-1", body.as_bytes(), Some(sig.clone()))
        .await;
    assert_eq!(status, 202, "{reply}");
    let (status, reply, _) = p.post("issues", "nul-1", body.as_bytes(), Some(sig)).await;
    assert_eq!(
        (status, &reply["status"]),
        (200, &json!("duplicate")),
        "{reply}"
    );
    let title: String = sqlx::query_scalar(
        "select payload->'issue'->>'title' from webhook_deliveries where delivery_id = 'nul-1'",
    )
    .fetch_one(&p.pool)
    .await
    .unwrap();
    assert_eq!(title, "before\u{FFFD}after");

    // 2^63 + 5 fits a u64 but not the int8 the run would be stored in: routed as malformed.
    let mut payload = issue_labeled("owner", "User", 4, "run:dev", &["run:dev"]);
    payload["issue"]["number"] = json!(9_223_372_036_854_775_813u64);
    let (id, status, _) = p.deliver("issues", &payload).await;
    assert_eq!(status, 202);
    let (outcome, reason, run) = p.routed(&id).await;
    assert_eq!(
        (outcome.as_str(), reason.as_deref(), run),
        ("ignored", Some("malformed_payload"), None)
    );
    let runs: i64 = sqlx::query_scalar("select count(*) from agent_runs where issue_number < 0")
        .fetch_one(&p.pool)
        .await
        .unwrap();
    assert_eq!(runs, 0, "no run with a wrapped number");
    p.stop().await;
}
