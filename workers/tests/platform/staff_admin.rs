//! The staff API's writes beyond onboarding: retrying a failed run from its failed step (and the
//! runs that are not retried), administration deletes with their guards and audit events, prompt
//! template rollbacks and retirement, and the per-project audit log.

use std::time::Duration;

use serde_json::{Value, json};
use testkit::github::Fault;
use uuid::Uuid;
use workflows::store::{agent_run, directory, flow_event};

use crate::support::*;

/// The stage run's mirrored status in `agent_runs`.
async fn mirrored(p: &TestPlatform, run: Uuid) -> String {
    agent_run::get(&p.pool, run)
        .await
        .unwrap()
        .expect("the stage run's row")
        .status
}

/// The audit events of `kind` (oldest first), as their details.
async fn audited(p: &TestPlatform, kind: &str) -> Vec<Value> {
    sqlx::query_scalar("select detail from flow_events where kind = $1 order by id")
        .bind(kind)
        .fetch_all(&p.pool)
        .await
        .unwrap()
}

fn assert_problem(status: u16, body: &Value, content_type: &str, want: u16, code: &str) {
    assert_eq!(
        (status, body["code"].as_str()),
        (want, Some(code)),
        "{body}"
    );
    assert_eq!(content_type, "application/problem+json");
}

/// `GET /api/v1/staff/runs/{run}` as `token`.
async fn run_detail(p: &TestPlatform, run: Uuid, token: &str) -> Value {
    let (status, detail, _) = p
        .staff_call(
            "GET",
            &format!("/api/v1/staff/runs/{run}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(status, 200, "{detail}");
    detail
}

#[tokio::test]
async fn a_failed_run_retried_through_the_api_resumes_from_its_failed_step_and_succeeds() {
    let p = TestPlatform::start(Options::default()).await;
    let owner = p.token_for("owner@acme.test").await;
    p.github.add_issue("acme/shop", 51, "flaky", &["run:dev"]);
    // The code host refuses the pickup reaction once: a terminal failure of that step.
    p.github.fail_next(
        http::Method::POST,
        "/repos/acme/shop/issues/51/reactions",
        Fault::BadCredentials,
        1,
    );
    let (delivery, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 51, "run:dev", &["run:dev"]),
        )
        .await;
    let run = p.routed(&delivery).await.2.expect("a stage run");
    let failed = p.finished(run, Duration::from_secs(60)).await;
    assert_eq!(
        failed.summary.status,
        engine::RunStatus::Failed,
        "{failed:#?}"
    );
    assert_eq!(mirrored(&p, run).await, "failed");
    let detail = run_detail(&p, run, &owner).await;
    let step = detail["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "pickup_reaction")
        .cloned()
        .unwrap_or_else(|| panic!("the failed step: {detail}"));
    assert_eq!(step["error"]["http_status"], 401, "{step}");
    let failure = detail["run"]["failure"].as_str().unwrap_or_default();
    assert!(
        failure.starts_with("github_bad_credentials: ") && failure.contains("Bad credentials"),
        "the summary names the cause: {failure}"
    );
    let kept: Vec<String> = failed
        .steps
        .iter()
        .filter(|s| s.status != "failed")
        .map(|s| s.name.clone())
        .collect();

    // The fault is spent: a retry re-opens the run from that step and the stage run is active again.
    let (s, outcome, _) = p
        .staff_call(
            "POST",
            &format!("/api/v1/staff/runs/{run}/retry"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(
        (s, outcome["outcome"].as_str()),
        (200, Some("resumed")),
        "{outcome}"
    );
    let now = mirrored(&p, run).await;
    assert!(
        now == "running" || now == "succeeded",
        "the stage run no longer says failed: {now}"
    );
    let retried = audited(&p, "run_retry_requested").await;
    assert_eq!(retried.len(), 1);
    assert_eq!(
        (retried[0]["actor"].as_str(), retried[0]["outcome"].as_str()),
        (Some("owner"), Some("resumed"))
    );
    assert_eq!(retried[0]["reopened_failed_run"], true);

    let done = p.finished(run, Duration::from_secs(60)).await;
    assert_eq!(
        done.summary.status,
        engine::RunStatus::Succeeded,
        "{done:#?}"
    );
    assert_eq!(mirrored(&p, run).await, "succeeded");
    let detail = run_detail(&p, run, &owner).await;
    assert_eq!(
        detail["run"]["failure"],
        Value::Null,
        "a retry clears the cause"
    );
    // The steps before the failed one were kept, not run again; the failed one then succeeded.
    for name in &kept {
        assert_eq!(
            done.steps.iter().filter(|s| &s.name == name).count(),
            1,
            "{name} once"
        );
    }
    assert!(
        done.steps
            .iter()
            .any(|s| s.name == "pickup_reaction" && s.status != "failed")
    );
    assert_eq!(p.github.reactions("acme/shop", 51).len(), 1);
    let reopened: i64 = sqlx::query_scalar(
        "select count(*) from flow_events where run_id = $1 and kind = 'reopened'",
    )
    .bind(run)
    .fetch_one(&p.pool)
    .await
    .unwrap();
    assert_eq!(reopened, 1);

    // A succeeded run is not retried.
    let (s, problem, content_type) = p
        .staff_call(
            "POST",
            &format!("/api/v1/staff/runs/{run}/retry"),
            Some(&owner),
            None,
        )
        .await;
    assert_problem(s, &problem, &content_type, 409, "not-retryable");
    assert_eq!(mirrored(&p, run).await, "succeeded");
    p.stop().await;
}

#[tokio::test]
async fn a_cancelled_or_pruned_run_is_not_retried_and_says_why() {
    // No stage worker at first: the run waits in its queue until it is cancelled.
    let mut p = TestPlatform::start(Options {
        queues: vec![("ingress", 4)],
        ..Options::default()
    })
    .await;
    let owner = p.token_for("owner@acme.test").await;
    p.github
        .add_issue("acme/shop", 52, "cancel me", &["run:dev"]);
    let (delivery, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 52, "run:dev", &["run:dev"]),
        )
        .await;
    let run = p.routed(&delivery).await.2.expect("a stage run");
    let (s, outcome, _) = p
        .staff_call(
            "POST",
            &format!("/api/v1/staff/runs/{run}/cancel"),
            Some(&owner),
            Some(json!({ "reason": "wrong issue" })),
        )
        .await;
    assert_eq!(s, 200, "{outcome}");
    // Its cleanup needs a worker of its queue.
    p.start_worker(&[("stages", 2)]);
    let ended = p.finished(run, Duration::from_secs(60)).await;
    assert_eq!(ended.summary.status, engine::RunStatus::Cancelled);
    let (s, problem, content_type) = p
        .staff_call(
            "POST",
            &format!("/api/v1/staff/runs/{run}/retry"),
            Some(&owner),
            None,
        )
        .await;
    assert_problem(s, &problem, &content_type, 409, "not-retryable");
    assert!(
        problem["detail"].as_str().unwrap().contains("cancelled"),
        "{problem}"
    );
    assert_eq!(mirrored(&p, run).await, "cancelled");
    // Once retention has pruned the engine's record, the mirror is all that is left: still a 409.
    sqlx::query("delete from workflow_runs where id = $1")
        .bind(run)
        .execute(&p.pool)
        .await
        .unwrap();
    let (s, problem, content_type) = p
        .staff_call(
            "POST",
            &format!("/api/v1/staff/runs/{run}/retry"),
            Some(&owner),
            None,
        )
        .await;
    assert_problem(s, &problem, &content_type, 409, "not-retryable");
    assert!(
        problem["detail"].as_str().unwrap().contains("retention"),
        "{problem}"
    );
    assert!(audited(&p, "run_retry_requested").await.is_empty());
    p.stop().await;
}

#[tokio::test]
async fn administration_deletes_are_guarded_audited_and_leave_run_history_readable() {
    // Routing only: the stage run stays pending, i.e. live.
    let mut p = TestPlatform::start(Options {
        queues: vec![("ingress", 4)],
        ..Options::default()
    })
    .await;
    p.add_user("padmin", Some("admin"), false).await;
    p.add_user("platadmin", None, true).await;
    p.add_user("otheradmin", None, true).await;
    p.add_user("leaver", Some("read"), false).await;
    let owner = p.token_for("owner@acme.test").await;
    let padmin = p.token_for("padmin@acme.test").await;
    let platadmin = p.token_for("platadmin@acme.test").await;
    let t = Some(owner.as_str());
    p.github.add_issue("acme/shop", 53, "history", &["run:dev"]);
    let (delivery, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 53, "run:dev", &["run:dev"]),
        )
        .await;
    let run = p.routed(&delivery).await.2.expect("a stage run");
    let id_of = |email: &'static str| {
        let pool = p.pool.clone();
        async move {
            directory::get_user_by_email(&pool, email)
                .await
                .unwrap()
                .unwrap()
                .id
        }
    };

    // A repository its runs reference stays bound, and their history readable.
    let shop = directory::binding(&p.pool, "acme/shop")
        .await
        .unwrap()
        .unwrap()
        .repository_id;
    let (s, problem, ct) = p
        .staff_call(
            "DELETE",
            &format!("/api/v1/staff/repositories/{shop}"),
            Some(&padmin),
            None,
        )
        .await;
    assert_problem(s, &problem, &ct, 409, "repository-has-runs");
    let (s, _, _) = p
        .staff_call("GET", &format!("/api/v1/staff/runs/{run}"), t, None)
        .await;
    assert_eq!(s, 200);
    // One without runs is unbound by a project admin, with its token.
    let (s, spare, _) = p
        .staff_call(
            "POST",
            "/api/v1/staff/projects/acme/repositories",
            t,
            Some(json!({ "full_name": "acme/spare", "token": "ghp_spare_token_0123456789" })),
        )
        .await;
    assert_eq!(s, 201, "{spare}");
    let spare_id = spare["id"].as_str().unwrap().to_owned();
    let (s, _, _) = p
        .staff_call(
            "DELETE",
            &format!("/api/v1/staff/repositories/{spare_id}"),
            Some(&padmin),
            None,
        )
        .await;
    assert_eq!(s, 204);
    assert!(
        directory::binding(&p.pool, "acme/spare")
            .await
            .unwrap()
            .is_none()
    );
    let (s, problem, ct) = p
        .staff_call(
            "DELETE",
            &format!("/api/v1/staff/repositories/{spare_id}"),
            Some(&padmin),
            None,
        )
        .await;
    assert_problem(s, &problem, &ct, 404, "not-found");
    let unbound = audited(&p, "repository_unbound").await;
    assert_eq!(unbound.len(), 1);
    assert_eq!(
        (
            unbound[0]["repository"].as_str(),
            unbound[0]["actor"].as_str()
        ),
        (Some("acme/spare"), Some("padmin"))
    );

    // A member is removed once; the second time there is none.
    let leaver = id_of("leaver@acme.test").await;
    let member = format!("/api/v1/staff/projects/acme/members/{leaver}");
    let (s, _, _) = p.staff_call("DELETE", &member, Some(&padmin), None).await;
    assert_eq!(s, 204);
    let (s, problem, ct) = p.staff_call("DELETE", &member, Some(&padmin), None).await;
    assert_problem(s, &problem, &ct, 404, "not-found");
    let removed = audited(&p, "member_removed").await;
    assert_eq!(removed.len(), 1);
    assert_eq!(
        (
            removed[0]["github_login"].as_str(),
            removed[0]["role"].as_str(),
            removed[0]["project"].as_str()
        ),
        (Some("leaver"), Some("read"), Some("acme"))
    );

    // Users: the owner stays; a platform admin is removed only by the owner; a removed user's
    // token stops working at once.
    let owner_id = id_of("owner@acme.test").await;
    for token in [&owner, &platadmin] {
        let (s, problem, ct) = p
            .staff_call(
                "DELETE",
                &format!("/api/v1/staff/users/{owner_id}"),
                Some(token),
                None,
            )
            .await;
        assert_problem(s, &problem, &ct, 409, "owner-not-removable");
    }
    let other_admin = id_of("otheradmin@acme.test").await;
    let (s, problem, ct) = p
        .staff_call(
            "DELETE",
            &format!("/api/v1/staff/users/{other_admin}"),
            Some(&platadmin),
            None,
        )
        .await;
    assert_problem(s, &problem, &ct, 403, "forbidden");
    let (s, _, _) = p
        .staff_call(
            "DELETE",
            &format!("/api/v1/staff/users/{leaver}"),
            Some(&platadmin),
            None,
        )
        .await;
    assert_eq!(s, 204);
    let leaver_token = p.staff.jwt.issue(leaver);
    let (s, problem, ct) = p
        .staff_call("GET", "/api/v1/staff/me", Some(&leaver_token), None)
        .await;
    assert_problem(s, &problem, &ct, 401, "unauthenticated");
    let other_token = p.token_for("otheradmin@acme.test").await;
    let (s, _, _) = p
        .staff_call(
            "DELETE",
            &format!("/api/v1/staff/users/{other_admin}"),
            t,
            None,
        )
        .await;
    assert_eq!(s, 204);
    let (s, _, _) = p
        .staff_call("GET", "/api/v1/staff/me", Some(&other_token), None)
        .await;
    assert_eq!(s, 401);
    let (s, problem, ct) = p
        .staff_call(
            "DELETE",
            &format!("/api/v1/staff/users/{}", Uuid::new_v4()),
            t,
            None,
        )
        .await;
    assert_problem(s, &problem, &ct, 404, "not-found");
    let gone: Vec<_> = audited(&p, "user_removed")
        .await
        .iter()
        .map(|d| (d["github_login"].clone(), d["actor"].clone()))
        .collect();
    assert_eq!(
        gone,
        vec![
            (json!("leaver"), json!("platadmin")),
            (json!("otheradmin"), json!("owner")),
        ]
    );

    // Projects: platform admins only, never while a run is live.
    let (s, problem, ct) = p
        .staff_call("DELETE", "/api/v1/staff/projects/acme", Some(&padmin), None)
        .await;
    assert_problem(s, &problem, &ct, 403, "forbidden");
    let (s, problem, ct) = p
        .staff_call("DELETE", "/api/v1/staff/projects/acme", t, None)
        .await;
    assert_problem(s, &problem, &ct, 409, "project-has-live-runs");
    let (s, _, _) = p
        .staff_call(
            "POST",
            &format!("/api/v1/staff/runs/{run}/cancel"),
            t,
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 200);
    p.start_worker(&[("stages", 2)]);
    p.finished(run, Duration::from_secs(60)).await;
    let (s, _, _) = p
        .staff_call("DELETE", "/api/v1/staff/projects/acme", t, None)
        .await;
    assert_eq!(s, 204);
    let (s, _, _) = p
        .staff_call("GET", "/api/v1/staff/projects/acme", t, None)
        .await;
    assert_eq!(s, 404);
    // Its finished runs went with it; their engine history stays in the platform audit log.
    assert!(agent_run::get(&p.pool, run).await.unwrap().is_none());
    assert!(
        directory::binding(&p.pool, "acme/shop")
            .await
            .unwrap()
            .is_none()
    );
    let (s, page, _) = p
        .staff_call(
            "GET",
            &format!("/api/v1/staff/audit-events?run_id={run}"),
            t,
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "cancelled"),
        "{page}"
    );
    let deleted = audited(&p, "project_deleted").await;
    assert_eq!(
        (deleted.len(), deleted[0]["project"].as_str()),
        (1, Some("acme"))
    );
    // No token in any audit event, and no removed user's email.
    let all: String =
        sqlx::query_scalar("select coalesce(string_agg(detail::text, ' '), '') from flow_events")
            .fetch_one(&p.pool)
            .await
            .unwrap();
    assert!(!all.contains("ghp_spare_token"));
    assert!(!all.contains("leaver@acme.test") && !all.contains("otheradmin@acme.test"));
    p.stop().await;
}

#[tokio::test]
async fn an_earlier_prompt_version_is_activated_and_a_retired_override_falls_back_to_the_seed() {
    let p = TestPlatform::start(Options {
        queues: vec![],
        ..Options::default()
    })
    .await;
    let owner = p.token_for("owner@acme.test").await;
    let t = Some(owner.as_str());
    let base = "/api/v1/staff/prompt-templates/dev/work/en";
    let effective = "/api/v1/staff/prompt-templates/effective?project=acme&role=dev&kind=work";
    let source = |e: &Value| {
        (
            e["source"].as_str().map(str::to_owned),
            e["source_version"].as_i64(),
        )
    };
    for (body, expected) in [
        ("First version for {{ role }}.", Value::Null),
        ("Second version for {{ role }}.", json!(1)),
    ] {
        let (s, v, _) = p
            .staff_call(
                "POST",
                base,
                t,
                Some(
                    json!({ "body": body, "change_reason": "write", "expected_active": expected }),
                ),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }
    let (_, e, _) = p.staff_call("GET", effective, t, None).await;
    assert_eq!(source(&e), (Some("system_override".into()), Some(2)));

    // Roll back to v1.
    let activate = format!("{base}/activate");
    let (s, v1, _) = p
        .staff_call(
            "POST",
            &activate,
            t,
            Some(json!({ "version": 1, "expected_active": 2 })),
        )
        .await;
    assert_eq!((s, v1["is_active"].as_bool()), (200, Some(true)), "{v1}");
    assert_eq!(v1["activated_by"], "owner");
    let (_, e, _) = p.staff_call("GET", effective, t, None).await;
    assert_eq!(source(&e), (Some("system_override".into()), Some(1)));
    assert!(e["body"].as_str().unwrap().contains("First version"));
    let (_, tpl, _) = p.staff_call("GET", base, t, None).await;
    let active: Vec<i64> = tpl["versions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["is_active"] == true)
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(active, vec![1]);
    // A stale expectation is a conflict; an unknown version is not found (and nothing changes).
    let (s, problem, ct) = p
        .staff_call(
            "POST",
            &activate,
            t,
            Some(json!({ "version": 2, "expected_active": 2 })),
        )
        .await;
    assert_problem(s, &problem, &ct, 409, "version-conflict");
    let (s, problem, ct) = p
        .staff_call(
            "POST",
            &activate,
            t,
            Some(json!({ "version": 9, "expected_active": 1 })),
        )
        .await;
    assert_problem(s, &problem, &ct, 404, "not-found");
    let (_, e, _) = p.staff_call("GET", effective, t, None).await;
    assert_eq!(source(&e), (Some("system_override".into()), Some(1)));

    // Retire the override: back to the repo seed, versions kept.
    let retire = format!("{base}/retire");
    let (s, problem, ct) = p
        .staff_call("POST", &retire, t, Some(json!({ "expected_active": 2 })))
        .await;
    assert_problem(s, &problem, &ct, 409, "version-conflict");
    let (s, tpl, _) = p
        .staff_call("POST", &retire, t, Some(json!({ "expected_active": 1 })))
        .await;
    assert_eq!(s, 200, "{tpl}");
    assert_eq!(tpl["scope"], "system");
    assert_eq!(tpl["versions"].as_array().map(Vec::len), Some(2));
    assert!(
        tpl["versions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["is_active"] == false)
    );
    let (_, e, _) = p.staff_call("GET", effective, t, None).await;
    assert_eq!(source(&e), (Some("repo_seed".into()), None));
    // Nothing is active now: retiring again conflicts, activating expects none.
    let (s, problem, ct) = p
        .staff_call("POST", &retire, t, Some(json!({ "expected_active": 1 })))
        .await;
    assert_problem(s, &problem, &ct, 409, "version-conflict");
    let (s, v2, _) = p
        .staff_call(
            "POST",
            &activate,
            t,
            Some(json!({ "version": 2, "expected_active": null })),
        )
        .await;
    assert_eq!((s, v2["version"].as_i64()), (200, Some(2)), "{v2}");
    let (_, e, _) = p.staff_call("GET", effective, t, None).await;
    assert_eq!(source(&e), (Some("system_override".into()), Some(2)));

    // A project's override is its admins' to roll back; the system's stays.
    let project_base = format!("{base}?project=acme");
    let (s, _, _) = p
        .staff_call(
            "POST",
            &project_base,
            t,
            Some(json!({ "body": "Acme's own {{ role }}.", "change_reason": "acme" })),
        )
        .await;
    assert_eq!(s, 201);
    let (_, e, _) = p.staff_call("GET", effective, t, None).await;
    assert_eq!(source(&e), (Some("project_override".into()), Some(1)));
    let (s, tpl, _) = p
        .staff_call(
            "POST",
            &format!("{base}/retire?project=acme"),
            t,
            Some(json!({ "expected_active": 1 })),
        )
        .await;
    assert_eq!((s, tpl["scope"].as_str()), (200, Some("acme")), "{tpl}");
    let (_, e, _) = p.staff_call("GET", effective, t, None).await;
    assert_eq!(source(&e), (Some("system_override".into()), Some(2)));

    // Every write is audited with who made it.
    let kinds: Vec<(String, Option<i64>)> = sqlx::query_as(
        "select kind, (detail ->> 'version')::bigint from flow_events where kind like 'prompt_template_%' order by id",
    )
    .fetch_all(&p.pool)
    .await
    .unwrap();
    let kinds: Vec<(&str, Option<i64>)> = kinds.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(
        kinds,
        vec![
            ("prompt_template_version_created", Some(1)),
            ("prompt_template_version_created", Some(2)),
            ("prompt_template_activated", Some(1)),
            ("prompt_template_retired", Some(1)),
            ("prompt_template_activated", Some(2)),
            ("prompt_template_version_created", Some(1)),
            ("prompt_template_retired", Some(1)),
        ]
    );
    assert!(
        audited(&p, "prompt_template_retired")
            .await
            .iter()
            .all(|d| d["actor"] == "owner")
    );
    p.stop().await;
}

#[tokio::test]
async fn a_project_admin_reads_the_audit_log_of_their_projects_runs_and_administration_only() {
    let p = TestPlatform::start(Options {
        queues: vec![("ingress", 4)],
        ..Options::default()
    })
    .await;
    p.add_user("padmin", Some("admin"), false).await;
    p.add_user("rw", Some("read_write"), false).await;
    let owner = p.token_for("owner@acme.test").await;
    let padmin = p.token_for("padmin@acme.test").await;
    let rw = p.token_for("rw@acme.test").await;
    p.github.add_issue("acme/shop", 54, "audited", &["run:dev"]);
    let (delivery, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 54, "run:dev", &["run:dev"]),
        )
        .await;
    let run = p.routed(&delivery).await.2.expect("a stage run");
    // A second project with a run of its own (a copy of acme's row).
    let (s, _, _) = p
        .staff_call(
            "POST",
            "/api/v1/staff/projects",
            Some(&owner),
            Some(json!({ "slug": "other", "name": "Other" })),
        )
        .await;
    assert_eq!(s, 201);
    let (s, other_repo, _) = p
        .staff_call(
            "POST",
            "/api/v1/staff/projects/other/repositories",
            Some(&owner),
            Some(json!({ "full_name": "other/repo" })),
        )
        .await;
    assert_eq!(s, 201);
    let other_run: Uuid = sqlx::query_scalar(
        "insert into agent_runs (id, project_id, repository_id, kind, trigger, stage, role, execution_mode,
                                 access_profile, target_env, model, reasoning, issue_number, thread_kind,
                                 thread_number, branch, locale, status)
         select gen_random_uuid(), (select project_id from repositories where id = $2), $2, kind, trigger,
                stage, role, execution_mode, access_profile, target_env, model, reasoning, issue_number,
                thread_kind, thread_number, branch, locale, 'succeeded'
         from agent_runs where id = $1
         returning id",
    )
    .bind(run)
    .bind(other_repo["id"].as_str().unwrap().parse::<Uuid>().unwrap())
    .fetch_one(&p.pool)
    .await
    .unwrap();
    let other_id: Uuid = sqlx::query_scalar("select id from projects where slug = 'other'")
        .fetch_one(&p.pool)
        .await
        .unwrap();
    // Administrative events belong to no run and name their project in the detail.
    for (run_id, kind, project) in [
        (Some(run), "acme_one", None),
        (Some(other_run), "other_one", None),
        (None, "platform_one", None),
        (Some(run), "acme_two", None),
        (Some(Uuid::new_v4()), "unknown_run", None),
        (None, "acme_admin", Some(p.project_id)),
        (None, "other_admin", Some(other_id)),
        (Some(run), "acme_three", None),
    ] {
        let detail = json!({ "n": kind, "project_id": project });
        flow_event::insert(&p.pool, run_id, kind, &detail)
            .await
            .unwrap();
    }
    let kinds = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_owned())
            .collect()
    };
    let acme = "/api/v1/staff/projects/acme/audit-events";
    let (s, page, _) = p.staff_call("GET", acme, Some(&padmin), None).await;
    assert_eq!(s, 200, "{page}");
    let acme_id = json!(p.project_id);
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["run_id"] == json!(run)
                || (e["run_id"].is_null() && e["detail"]["project_id"] == acme_id)),
        "only the events of acme's runs and about acme: {page}"
    );
    let mine: Vec<String> = kinds(&page)
        .into_iter()
        .filter(|k| k.starts_with("acme_"))
        .collect();
    assert_eq!(
        mine,
        vec!["acme_three", "acme_admin", "acme_two", "acme_one"]
    );
    // Paginated newest first by cursor across both kinds of event, and filtered like the
    // platform's log; a run filter leaves only that run's events.
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..3 {
        let path = match &cursor {
            Some(c) => format!("{acme}?limit=1&cursor={c}"),
            None => format!("{acme}?limit=1"),
        };
        let (_, one, _) = p.staff_call("GET", &path, Some(&padmin), None).await;
        walked.extend(kinds(&one));
        cursor = Some(one["next_cursor"].as_str().expect("more pages").to_owned());
    }
    assert_eq!(walked, vec!["acme_three", "acme_admin", "acme_two"]);
    let (_, filtered, _) = p
        .staff_call("GET", &format!("{acme}?kind=acme_one"), Some(&padmin), None)
        .await;
    assert_eq!(kinds(&filtered), vec!["acme_one"]);
    assert_eq!(filtered["next_cursor"], Value::Null);
    let (_, of_run, _) = p
        .staff_call("GET", &format!("{acme}?run_id={run}"), Some(&padmin), None)
        .await;
    assert!(
        !kinds(&of_run).contains(&"acme_admin".to_owned()),
        "{of_run}"
    );
    assert!(kinds(&of_run).contains(&"acme_one".to_owned()));
    // Not the platform's log, not another project's, and not for a read_write member.
    let (s, problem, ct) = p
        .staff_call("GET", "/api/v1/staff/audit-events", Some(&padmin), None)
        .await;
    assert_problem(s, &problem, &ct, 403, "forbidden");
    let (s, problem, ct) = p
        .staff_call(
            "GET",
            "/api/v1/staff/projects/other/audit-events",
            Some(&padmin),
            None,
        )
        .await;
    assert_problem(s, &problem, &ct, 404, "not-found");
    let (s, problem, ct) = p.staff_call("GET", acme, Some(&rw), None).await;
    assert_problem(s, &problem, &ct, 403, "forbidden");
    // A platform admin reads any project's (its creation and binding through the API included).
    let (s, page, _) = p
        .staff_call(
            "GET",
            "/api/v1/staff/projects/other/audit-events",
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(
        (s, kinds(&page)),
        (
            200,
            [
                "other_admin",
                "other_one",
                "repository_bound",
                "project_created"
            ]
            .map(str::to_owned)
            .to_vec()
        )
    );
    p.stop().await;
}

#[tokio::test]
async fn nothing_accepted_is_lost_a_routed_delivery_or_a_kept_runtime_blocks_the_removal() {
    // No worker at first: the delivery stays accepted, its routing run pending.
    let mut p = TestPlatform::start(Options {
        queues: vec![],
        runtime_ttl: Duration::from_secs(3600),
        ..Options::default()
    })
    .await;
    let owner = p.token_for("owner@acme.test").await;
    let t = Some(owner.as_str());
    let shop = directory::binding(&p.pool, "acme/shop")
        .await
        .unwrap()
        .unwrap()
        .repository_id;
    let unbind = format!("/api/v1/staff/repositories/{shop}");
    p.github.add_issue("acme/shop", 55, "kept", &["run:dev"]);
    let (delivery, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 55, "run:dev", &["run:dev"]),
        )
        .await;
    let (s, problem, ct) = p.staff_call("DELETE", &unbind, t, None).await;
    assert_problem(s, &problem, &ct, 409, "deliveries-being-routed");
    let (s, problem, ct) = p
        .staff_call("DELETE", "/api/v1/staff/projects/acme", t, None)
        .await;
    assert_problem(s, &problem, &ct, 409, "deliveries-being-routed");

    // Routed, run and finished; its runtime is kept for an hour by a delayed release run.
    p.start_worker(&[("ingress", 4), ("stages", 2)]);
    let run = p.routed(&delivery).await.2.expect("a stage run");
    let done = p.finished(run, Duration::from_secs(60)).await;
    assert_eq!(done.summary.status, engine::RunStatus::Succeeded);
    // Its reviewer pre-review (started by the run) ends too, its runtime also kept.
    let reviewer: uuid::Uuid =
        sqlx::query_scalar("select reviewer_run_id from reviews where stage_run_id = $1")
            .bind(run)
            .fetch_one(&p.pool)
            .await
            .unwrap();
    p.finished(reviewer, Duration::from_secs(60)).await;
    let (s, problem, ct) = p
        .staff_call("DELETE", "/api/v1/staff/projects/acme", t, None)
        .await;
    assert_problem(s, &problem, &ct, 409, "project-has-pending-releases");
    let (s, problem, ct) = p.staff_call("DELETE", &unbind, t, None).await;
    assert_problem(s, &problem, &ct, 409, "repository-has-runs");
    assert!(agent_run::get(&p.pool, run).await.unwrap().is_some());
    assert!(audited(&p, "project_deleted").await.is_empty());
    p.stop().await;
}

#[tokio::test]
async fn a_repository_unbound_while_its_delivery_is_routed_starts_nothing_and_says_so() {
    let p = TestPlatform::start(Options::default()).await;
    let shop = directory::binding(&p.pool, "acme/shop")
        .await
        .unwrap()
        .unwrap()
        .repository_id;
    p.github.add_issue("acme/shop", 56, "raced", &["run:dev"]);
    // An unbind that slipped in after routing loaded the binding: it holds the repository row
    // while routing inserts the stage run, then deletes the row.
    let mut unbinding = p.pool.begin().await.unwrap();
    sqlx::query("select id from repositories where id = $1 for update")
        .bind(shop)
        .execute(&mut *unbinding)
        .await
        .unwrap();
    let (delivery, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 56, "run:dev", &["run:dev"]),
        )
        .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "select count(*) from pg_stat_activity
             where datname = current_database() and wait_event_type = 'Lock'
               and query like 'insert into agent_runs%'",
        )
        .fetch_one(&p.pool)
        .await
        .unwrap();
        if waiting > 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "routing never reached the stage run's insert"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    sqlx::query("delete from repositories where id = $1")
        .bind(shop)
        .execute(&mut *unbinding)
        .await
        .unwrap();
    unbinding.commit().await.unwrap();

    let (outcome, reason, agent_run_id) = p.routed(&delivery).await;
    assert_eq!(
        (outcome.as_str(), reason.as_deref(), agent_run_id),
        ("ignored", Some("repository_not_bound"), None)
    );
    // The stage run's engine run went with the rolled-back transaction.
    let stage_runs: i64 = sqlx::query_scalar(
        "select (select count(*) from workflow_runs where kind = 'stage_run')
              + (select count(*) from agent_runs)",
    )
    .fetch_one(&p.pool)
    .await
    .unwrap();
    assert_eq!(stage_runs, 0);
    p.stop().await;
}

#[tokio::test]
async fn every_administration_write_through_the_api_is_audited_without_emails_or_tokens() {
    let p = TestPlatform::start(Options {
        queues: vec![],
        ..Options::default()
    })
    .await;
    let owner = p.token_for("owner@acme.test").await;
    let t = Some(owner.as_str());
    let (first_token, second_token) = (
        "ghp_audit_first_0123456789abcdef",
        "ghp_audit_second_0123456789abcdef",
    );
    let call = |method: &'static str, path: String, body: Value| {
        let p = &p;
        async move {
            let (s, answer, _) = p.staff_call(method, &path, t, Some(body)).await;
            assert!((200..300).contains(&s), "{method} {path}: {s} {answer}");
            answer
        }
    };
    // A user, pre-registered by email, then made a platform admin with their own learning mode.
    let dana = call(
        "POST",
        "/api/v1/staff/users".into(),
        json!({ "email": "Dana@Acme.test", "github_login": "dana" }),
    )
    .await;
    let dana_id = dana["id"].as_str().unwrap().to_owned();
    call(
        "PATCH",
        format!("/api/v1/staff/users/{dana_id}"),
        json!({ "platform_role": "admin", "learning_mode_override": true }),
    )
    .await;
    // A project and its settings.
    call(
        "POST",
        "/api/v1/staff/projects".into(),
        json!({ "slug": "beta", "name": "Beta", "locale": "ru", "learning_mode_default": true, "max_active_runs": 3 }),
    )
    .await;
    call(
        "PATCH",
        "/api/v1/staff/projects/beta".into(),
        json!({ "locale": "en", "learning_mode_default": false, "max_active_runs": 5 }),
    )
    .await;
    // A member added, their role and learning mode changed, then set again unchanged (no event).
    let member = format!("/api/v1/staff/projects/beta/members/{dana_id}");
    call("PUT", member.clone(), json!({ "role": "read" })).await;
    call(
        "PUT",
        member.clone(),
        json!({ "role": "admin", "learning_mode_override": false }),
    )
    .await;
    call("PUT", member, json!({ "role": "admin" })).await;
    // A repository bound with a token, then rebound to another token.
    let repo = call(
        "POST",
        "/api/v1/staff/projects/beta/repositories".into(),
        json!({ "full_name": "beta/app", "token": first_token }),
    )
    .await;
    let repo_id = repo["id"].as_str().unwrap().to_owned();
    call(
        "PUT",
        format!("/api/v1/staff/repositories/{repo_id}/token"),
        json!({ "token": second_token }),
    )
    .await;

    let beta_id: Uuid = sqlx::query_scalar("select id from projects where slug = 'beta'")
        .fetch_one(&p.pool)
        .await
        .unwrap();
    let (s, log, _) = p
        .staff_call("GET", "/api/v1/staff/projects/beta/audit-events", t, None)
        .await;
    assert_eq!(s, 200, "{log}");
    let events = log["items"].as_array().unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        vec![
            "repository_token_set",
            "repository_bound",
            "member_updated",
            "member_added",
            "project_updated",
            "project_created",
        ],
        "the project's administration, newest first, in its own log"
    );
    let detail = |kind: &str| {
        events
            .iter()
            .find(|e| e["kind"] == kind)
            .map(|e| e["detail"].clone())
            .unwrap()
    };
    for e in events {
        assert_eq!(
            (
                &e["run_id"],
                &e["detail"]["project_id"],
                &e["detail"]["actor"]
            ),
            (&Value::Null, &json!(beta_id), &json!("owner")),
            "{e}"
        );
    }
    assert_eq!(
        detail("project_created"),
        json!({
            "project_id": beta_id, "project": "beta", "name": "Beta", "locale": "ru",
            "learning_mode_default": true, "max_active_runs": 3,
            "actor": "owner", "actor_id": detail("project_created")["actor_id"],
        })
    );
    assert_eq!(
        detail("project_updated")["changes"],
        json!({
            "locale": { "from": "ru", "to": "en" },
            "learning_mode_default": { "from": true, "to": false },
            "max_active_runs": { "from": 3, "to": 5 },
        })
    );
    let (added, updated) = (detail("member_added"), detail("member_updated"));
    assert_eq!(
        (
            &added["user_id"],
            &added["github_login"],
            &added["role"],
            &added["previous_role"]
        ),
        (
            &json!(dana_id),
            &json!("dana"),
            &json!("read"),
            &Value::Null
        )
    );
    assert_eq!(
        (
            &updated["role"],
            &updated["previous_role"],
            &updated["learning_mode_override"],
            &updated["previous_learning_mode_override"]
        ),
        (&json!("admin"), &json!("read"), &json!(false), &Value::Null)
    );
    let (bound, rebound) = (detail("repository_bound"), detail("repository_token_set"));
    assert_eq!(
        (
            &bound["repository_id"],
            &bound["repository"],
            &bound["token_set"]
        ),
        (&json!(repo_id), &json!("beta/app"), &json!(true))
    );
    assert_eq!(
        (&rebound["repository_id"], &rebound["repository"]),
        (&json!(repo_id), &json!("beta/app"))
    );

    // The user's events belong to no project: the platform's log has them.
    let (s, platform, _) = p
        .staff_call("GET", "/api/v1/staff/audit-events?limit=100", t, None)
        .await;
    assert_eq!(s, 200, "{platform}");
    let of_kind = |kind: &str| -> Vec<Value> {
        platform["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == kind)
            .map(|e| e["detail"].clone())
            .collect()
    };
    let created = of_kind("user_created");
    assert_eq!(created.len(), 1, "{platform}");
    assert_eq!(
        (
            &created[0]["user_id"],
            &created[0]["github_login"],
            &created[0]["platform_role"],
            &created[0]["actor"]
        ),
        (
            &json!(dana_id),
            &json!("dana"),
            &json!("none"),
            &json!("owner")
        )
    );
    assert_eq!(
        of_kind("user_updated")[0]["changes"],
        json!({
            "platform_role": { "from": "none", "to": "admin" },
            "learning_mode_override": { "from": null, "to": true },
        })
    );
    assert_eq!(of_kind("project_created").len(), 1);
    // Never an email or a token, anywhere in the audit.
    let text = platform.to_string();
    for secret in ["dana@acme.test", "@acme.test", first_token, second_token] {
        assert!(!text.contains(secret), "{secret} in the audit: {text}");
    }
    p.stop().await;
}
