//! The RBAC matrix of the staff API: every operation of `api/openapi.yaml` × every role, the
//! refusals included, through the real router and the one authorization function.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::*;

/// The roles of the matrix, in column order.
const ROLES: [&str; 7] = [
    "anonymous",
    "owner",
    "platform_admin",
    "project_admin",
    "read_write",
    "read",
    "outsider",
];

/// One row: method, path, body, expected status per role (column order of [`ROLES`]).
struct Row {
    method: &'static str,
    path: String,
    body: Option<Value>,
    expected: &'static str,
}

fn row(
    method: &'static str,
    path: impl Into<String>,
    body: Option<Value>,
    expected: &'static str,
) -> Row {
    Row {
        method,
        path: path.into(),
        body,
        expected,
    }
}

#[tokio::test]
async fn every_operation_answers_every_role_as_the_matrix_says() {
    let p = TestPlatform::start(Options::default()).await;
    p.add_user("padmin", Some("admin"), false).await;
    p.add_user("rw", Some("read_write"), false).await;
    p.add_user("reader", Some("read"), false).await;
    p.add_user("outsider", None, false).await;
    p.add_user("platadmin", None, true).await;
    p.add_user("spare", None, false).await;
    p.github.add_issue("acme/shop", 1, "matrix", &["run:dev"]);
    // A real stage run of acme, finished.
    let (delivery, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 1, "run:dev", &["run:dev"]),
        )
        .await;
    let run = p.routed(&delivery).await.2.expect("a stage run");
    p.finished(run, Duration::from_secs(60)).await;
    let pool = &p.pool;
    let user_id = |email: &str| {
        let email = email.to_owned();
        async move {
            workflows::store::directory::get_user_by_email(pool, &email)
                .await
                .unwrap()
                .unwrap()
                .id
        }
    };
    let reader = user_id("reader@acme.test").await;
    let spare = user_id("spare@acme.test").await;
    let repo = workflows::store::directory::binding(pool, "acme/shop")
        .await
        .unwrap()
        .unwrap()
        .repository_id;
    let mut tokens = vec![None];
    for email in [
        "owner@acme.test",
        "platadmin@acme.test",
        "padmin@acme.test",
        "rw@acme.test",
        "reader@acme.test",
        "outsider@acme.test",
    ] {
        tokens.push(Some(p.token_for(email).await));
    }
    let stale = json!({
        "repository_full_name": "acme/shop", "action_kind": "issue_stage_transition",
        "target_label": "run:qa", "issue_number": 1, "expected_labels": ["not-on-the-issue"],
    });
    // Per role the rows run in order, so a PUT member precedes its DELETE.
    let rows = |i: usize| {
        vec![
            row(
                "GET",
                "/api/v1/staff/auth/github/login",
                None,
                "503 503 503 503 503 503 503",
            ),
            row(
                "GET",
                "/api/v1/staff/auth/github/callback?code=c&state=s",
                None,
                "503 503 503 503 503 503 503",
            ),
            row(
                "GET",
                "/api/v1/staff/me",
                None,
                "401 200 200 200 200 200 200",
            ),
            row(
                "GET",
                "/api/v1/staff/users",
                None,
                "401 200 200 403 403 403 403",
            ),
            row(
                "POST",
                "/api/v1/staff/users",
                Some(json!({ "email": format!("new{i}@acme.test") })),
                "401 201 201 403 403 403 403",
            ),
            row(
                "PATCH",
                format!("/api/v1/staff/users/{reader}"),
                Some(json!({ "learning_mode_override": true })),
                "401 200 200 403 403 403 403",
            ),
            row(
                "GET",
                "/api/v1/staff/projects",
                None,
                "401 200 200 200 200 200 200",
            ),
            row(
                "POST",
                "/api/v1/staff/projects",
                Some(json!({ "slug": format!("p{i}"), "name": "P" })),
                "401 201 201 403 403 403 403",
            ),
            row(
                "GET",
                "/api/v1/staff/projects/acme",
                None,
                "401 200 200 200 200 200 404",
            ),
            row(
                "PATCH",
                "/api/v1/staff/projects/acme",
                Some(json!({ "max_active_runs": 2 })),
                "401 200 200 200 403 403 404",
            ),
            row(
                "GET",
                "/api/v1/staff/projects/acme/members",
                None,
                "401 200 200 200 200 200 404",
            ),
            row(
                "PUT",
                format!("/api/v1/staff/projects/acme/members/{spare}"),
                Some(json!({ "role": "read" })),
                "401 200 200 200 403 403 404",
            ),
            row(
                "DELETE",
                format!("/api/v1/staff/projects/acme/members/{spare}"),
                None,
                "401 204 204 204 403 403 404",
            ),
            row(
                "GET",
                "/api/v1/staff/projects/acme/repositories",
                None,
                "401 200 200 200 200 200 404",
            ),
            row(
                "POST",
                "/api/v1/staff/projects/acme/repositories",
                Some(json!({ "full_name": format!("acme/r{i}"), "token": "ghp_matrix" })),
                "401 201 201 201 403 403 404",
            ),
            row(
                "PUT",
                format!("/api/v1/staff/repositories/{repo}/token"),
                Some(json!({ "token": "ghp_matrix2" })),
                "401 200 200 200 403 403 404",
            ),
            row(
                "GET",
                "/api/v1/staff/runs",
                None,
                "401 200 200 200 200 200 200",
            ),
            row(
                "GET",
                format!("/api/v1/staff/runs/{run}"),
                None,
                "401 200 200 200 200 200 404",
            ),
            row(
                "GET",
                format!("/api/v1/staff/runs/{run}/events"),
                None,
                "401 200 200 200 200 200 404",
            ),
            row(
                "POST",
                format!("/api/v1/staff/runs/{run}/cancel"),
                Some(json!({})),
                "401 200 200 200 200 403 404",
            ),
            row(
                "POST",
                format!("/api/v1/staff/runs/{run}/retry"),
                None,
                "401 409 409 409 409 403 404",
            ),
            row(
                "GET",
                "/api/v1/staff/approvals",
                None,
                "401 200 200 200 200 200 200",
            ),
            row(
                "POST",
                format!("/api/v1/staff/approvals/{}/decision", uuid::Uuid::new_v4()),
                Some(json!({ "decision": "approved" })),
                "401 404 404 404 404 404 404",
            ),
            row(
                "GET",
                "/api/v1/staff/next-steps/preview?repository_full_name=acme/shop&action_kind=issue_stage_transition&target_label=run:qa&issue_number=1",
                None,
                "401 200 200 200 200 200 404",
            ),
            row(
                "POST",
                "/api/v1/staff/next-steps/execute",
                Some(stale.clone()),
                "401 409 409 409 409 403 404",
            ),
            row(
                "GET",
                "/api/v1/staff/audit-events",
                None,
                "401 200 200 403 403 403 403",
            ),
            row(
                "GET",
                "/api/v1/staff/prompt-templates?limit=5",
                None,
                "401 200 200 200 200 200 200",
            ),
            row(
                "GET",
                "/api/v1/staff/prompt-templates/dev/work/en?project=acme",
                None,
                "401 200 200 200 200 200 404",
            ),
            row(
                "POST",
                format!(
                    "/api/v1/staff/prompt-templates/{}/work/en",
                    ["pm", "sa", "em", "dev", "reviewer", "qa", "sre"][i]
                ),
                Some(json!({ "body": "Do the work, {{ role }}.", "change_reason": "matrix" })),
                "401 201 201 403 403 403 403",
            ),
            row(
                "GET",
                "/api/v1/staff/prompt-templates/effective?project=acme&role=dev&kind=work",
                None,
                "401 200 200 200 200 200 404",
            ),
        ]
    };
    // The matrix covers every operation of the contract.
    let operations = workers::api::staff::operations();
    assert_eq!(
        operations.len(),
        rows(0).len(),
        "every contract operation has a matrix row"
    );
    let mut failures = Vec::new();
    for (i, role) in ROLES.iter().enumerate() {
        for r in rows(i) {
            let want: Vec<&str> = r.expected.split(' ').collect();
            let (status, body, content_type) = p
                .staff_call(r.method, &r.path, tokens[i].as_deref(), r.body.clone())
                .await;
            if status.to_string() != want[i] {
                failures.push(format!(
                    "{role}: {} {} → {status} (want {}) {body}",
                    r.method, r.path, want[i]
                ));
            }
            if status >= 400 && content_type != "application/problem+json" {
                failures.push(format!(
                    "{role}: {} {} → {status} is not problem+json",
                    r.method, r.path
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    p.stop().await;
}
