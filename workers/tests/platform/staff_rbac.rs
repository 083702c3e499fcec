//! The RBAC matrix of the staff API: every operation of `api/openapi.yaml` × every role, the
//! refusals included, through the real router and the one authorization function.

use std::{collections::BTreeSet, time::Duration};

use serde_json::{Value, json};

use crate::support::*;
use workflows::store::directory;

/// One agent role per matrix column, for the rows that need a template key of their own.
const TEMPLATE_ROLES: [&str; 7] = ["pm", "sa", "em", "dev", "reviewer", "qa", "sre"];

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

/// Whether a concrete path is an instance of a contract path template (`{name}` is one segment).
fn matches_template(template: &str, path: &str) -> bool {
    let (t, p): (Vec<_>, Vec<_>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}') && !p.is_empty()))
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
            directory::get_user_by_email(pool, &email)
                .await
                .unwrap()
                .unwrap()
                .id
        }
    };
    let reader = user_id("reader@acme.test").await;
    let spare = user_id("spare@acme.test").await;
    let repo = directory::binding(pool, "acme/shop")
        .await
        .unwrap()
        .unwrap()
        .repository_id;
    // What each role's delete rows remove: its own user, project and repository, so a removal by
    // one role does not turn the next role's row into a 404. Every project role holds its role in
    // every throwaway project, as in acme.
    let owner_id = user_id("owner@acme.test").await;
    let mut victims = Vec::new();
    let mut admin_victims = Vec::new();
    let mut gone_repos = Vec::new();
    for i in 0..ROLES.len() {
        p.add_user(&format!("victim{i}"), None, false).await;
        victims.push(user_id(&format!("victim{i}@acme.test")).await);
        p.add_user(&format!("adminvictim{i}"), None, true).await;
        admin_victims.push(user_id(&format!("adminvictim{i}@acme.test")).await);
        let project = directory::upsert_project(
            pool,
            &directory::NewProject {
                slug: &format!("gone{i}"),
                name: "Gone",
                locale: None,
                learning_mode_default: None,
                max_active_runs: 1,
            },
        )
        .await
        .unwrap();
        for (email, role) in [
            ("padmin@acme.test", "admin"),
            ("rw@acme.test", "read_write"),
            ("reader@acme.test", "read"),
        ] {
            directory::upsert_member(pool, project, user_id(email).await, role)
                .await
                .unwrap();
        }
        gone_repos.push(
            directory::bind_repository(pool, p.project_id, &format!("acme/gone{i}"), "main")
                .await
                .unwrap(),
        );
    }
    // Each role's own active project override of a prompt template, to roll back and retire.
    let owner_token = p.token_for("owner@acme.test").await;
    for role in TEMPLATE_ROLES {
        let (s, v, _) = p
            .staff_call(
                "POST",
                &format!("/api/v1/staff/prompt-templates/{role}/work/ru?project=acme"),
                Some(&owner_token),
                Some(json!({ "body": "Работай, {{ role }}.", "change_reason": "matrix" })),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }
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
                "DELETE",
                format!("/api/v1/staff/users/{}", victims[i]),
                None,
                "401 204 204 403 403 403 403",
            ),
            // Only the owner removes a platform admin; nobody removes the owner.
            row(
                "DELETE",
                format!("/api/v1/staff/users/{}", admin_victims[i]),
                None,
                "401 204 403 403 403 403 403",
            ),
            row(
                "DELETE",
                format!("/api/v1/staff/users/{owner_id}"),
                None,
                "401 409 409 403 403 403 403",
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
                "DELETE",
                format!("/api/v1/staff/projects/gone{i}"),
                None,
                "401 204 204 403 403 403 404",
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
                "DELETE",
                format!("/api/v1/staff/repositories/{}", gone_repos[i]),
                None,
                "401 204 204 204 403 403 404",
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
            // The local runtime keeps no environment: 404 past the role check.
            row(
                "GET",
                format!("/api/v1/staff/runs/{run}/environment"),
                None,
                "401 404 404 404 404 404 404",
            ),
            row(
                "DELETE",
                format!("/api/v1/staff/runs/{run}/environment"),
                None,
                "401 404 404 404 404 403 404",
            ),
            row(
                "POST",
                format!("/api/v1/staff/runs/{run}/environment/secrets/db/reveal"),
                None,
                "401 404 404 404 403 403 404",
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
                "/api/v1/staff/projects/acme/audit-events",
                None,
                "401 200 200 200 403 403 404",
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
                    TEMPLATE_ROLES[i]
                ),
                Some(json!({ "body": "Do the work, {{ role }}.", "change_reason": "matrix" })),
                "401 201 201 403 403 403 403",
            ),
            // The system's template (just written by the roles that may): platform admins only.
            row(
                "POST",
                format!(
                    "/api/v1/staff/prompt-templates/{}/work/en/activate",
                    TEMPLATE_ROLES[i]
                ),
                Some(json!({ "version": 1, "expected_active": 1 })),
                "401 200 200 403 403 403 403",
            ),
            row(
                "POST",
                format!(
                    "/api/v1/staff/prompt-templates/{}/work/en/retire",
                    TEMPLATE_ROLES[i]
                ),
                Some(json!({ "expected_active": 1 })),
                "401 200 200 403 403 403 403",
            ),
            // Re-activating the active version is a no-op, so every role may try it.
            row(
                "POST",
                format!(
                    "/api/v1/staff/prompt-templates/{}/work/ru/activate?project=acme",
                    TEMPLATE_ROLES[i]
                ),
                Some(json!({ "version": 1, "expected_active": 1 })),
                "401 200 200 200 403 403 404",
            ),
            row(
                "POST",
                format!(
                    "/api/v1/staff/prompt-templates/{}/work/ru/retire?project=acme",
                    TEMPLATE_ROLES[i]
                ),
                Some(json!({ "expected_active": 1 })),
                "401 200 200 200 403 403 404",
            ),
            row(
                "GET",
                "/api/v1/staff/prompt-templates/effective?project=acme&role=dev&kind=work",
                None,
                "401 200 200 200 200 200 404",
            ),
        ]
    };
    // The matrix covers every operation of the contract, and every row is one of them.
    let operations: BTreeSet<(String, String)> =
        workers::api::staff::operations().into_iter().collect();
    let mut covered = BTreeSet::new();
    for r in rows(0) {
        let path = r.path.split('?').next().unwrap_or_default();
        let op = operations
            .iter()
            .find(|(m, template)| m == r.method && matches_template(template, path))
            .unwrap_or_else(|| panic!("{} {} is no contract operation", r.method, r.path));
        covered.insert(op.clone());
    }
    let missing: Vec<_> = operations.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "operations without a matrix row: {missing:?}"
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
