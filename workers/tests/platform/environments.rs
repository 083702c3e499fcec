//! Runtime environments are cleaned up through the platform, with the Kubernetes runtime against
//! the fake API server: a recorded `issues.closed` delivery deletes that Issue's run namespaces,
//! and the `environment_sweep` workflow deletes the expired ones that host no active run; staff
//! see a run's namespace (Secrets by key name only) and delete it once no run uses it.

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use engine::StartOptions;
use serde_json::{Value, json};
use testkit::kube_api::FakeKube;
use uuid::Uuid;
use workflows::{
    environment_sweep::{EnvironmentSweep, SweepInput},
    kubernetes::{KubeSettings, KubernetesRuntime, labels, objects::NamespaceFor},
    policy::{AccessProfile, ExecutionMode},
    store::{agent_run, directory},
};

use crate::support::*;

fn runtime(fake: &FakeKube) -> KubernetesRuntime {
    let config = kube::Config::new(fake.url().parse().expect("the fake's url"));
    let client = kube::Client::try_from(config).expect("a client for the fake");
    let settings = KubeSettings {
        runner_image: "ghcr.io/codex-k8s/codex-k8s:0.1.0".into(),
        ..KubeSettings::default()
    };
    KubernetesRuntime::new(client, settings)
}

fn names(fake: &FakeKube) -> Vec<String> {
    let mut names: Vec<String> = fake
        .list("namespaces", None)
        .iter()
        .map(|n| n["metadata"]["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

/// Moves a namespace's lease end into the past, as if its TTL had run out.
fn expire(fake: &FakeKube, name: &str) {
    let mut ns = fake.get("namespaces", None, name).unwrap();
    ns["metadata"]["annotations"][labels::LEASE_EXPIRES] = json!("2026-01-01T00:00:00Z");
    fake.insert("namespaces", ns);
}

#[tokio::test]
async fn a_closed_issue_loses_its_run_namespaces_and_the_sweep_takes_expired_idle_ones() {
    let fake = FakeKube::start().await;
    let p = TestPlatform::start(Options {
        queues: vec![("ingress", 4), ("default", 2)],
        runtime: Some(Arc::new(runtime(&fake))),
        ..Options::default()
    })
    .await;
    let setup = runtime(&fake);
    let project = p.project_id;
    let make = |issue: u64, role: &str| NamespaceFor {
        run_id: Uuid::new_v4(),
        project,
        issue,
        role: role.into(),
        mode: ExecutionMode::FullEnv,
        profile: AccessProfile::Candidate,
    };
    let now = Utc::now();
    let dev42 = setup.ensure_namespace(&make(42, "dev"), now).await.unwrap();
    let qa42 = setup.ensure_namespace(&make(42, "qa"), now).await.unwrap();
    let idle43 = setup.ensure_namespace(&make(43, "dev"), now).await.unwrap();
    let busy44 = setup.ensure_namespace(&make(44, "dev"), now).await.unwrap();
    let fresh45 = setup.ensure_namespace(&make(45, "dev"), now).await.unwrap();
    fake.insert(
        "namespaces",
        json!({ "metadata": { "name": "someone-elses", "labels": { "codex-k8s.io/issue": "42" } } }),
    );

    // Closing #42 deletes both of its namespaces and nothing else.
    let mut closed = example("issues", Some("closed"));
    closed["repository"]["full_name"] = "acme/shop".into();
    closed["issue"]["number"] = 42.into();
    closed["sender"]["login"] = "owner".into();
    let (id, status, _) = p.deliver("issues", &closed).await;
    assert_eq!(status, 202);
    let (outcome, _, _) = p.routed(&id).await;
    assert_eq!(outcome, "cleanup");
    let left = names(&fake);
    assert!(!left.contains(&dev42) && !left.contains(&qa42), "{left:?}");
    for kept in [&idle43, &busy44, &fresh45] {
        assert!(left.contains(kept), "{kept} is another thread's: {left:?}");
    }
    assert!(left.contains(&"someone-elses".to_owned()));

    // #44 has an active run; #43 and #44 run out of lease, #45 has time left.
    let binding = directory::binding(&p.pool, "acme/shop")
        .await
        .unwrap()
        .unwrap();
    agent_run::insert(&p.pool, &agent_run_row(&binding, "dev", Some("dev"), 44))
        .await
        .unwrap();
    expire(&fake, &idle43);
    expire(&fake, &busy44);
    let run = p
        .wiring
        .client
        .start::<EnvironmentSweep>(&SweepInput {}, StartOptions::default())
        .await
        .unwrap()
        .id;
    let swept = finished_output(&p, run).await;
    assert_eq!(swept["deleted"], json!([idle43]), "{swept}");
    let kept: Vec<&str> = swept["kept"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k[0].as_str().unwrap())
        .collect();
    assert_eq!(kept, vec![busy44.as_str()], "{swept}");
    let left = names(&fake);
    assert!(!left.contains(&idle43), "{left:?}");
    assert!(
        left.contains(&busy44) && left.contains(&fresh45),
        "{left:?}"
    );
    p.stop().await;
}

/// The output of a finished run.
async fn finished_output(p: &TestPlatform, run: Uuid) -> Value {
    for _ in 0..400 {
        let (status, output): (String, Option<Value>) =
            sqlx::query_as("select status, output from workflow_runs where id = $1")
                .bind(run)
                .fetch_one(&p.pool)
                .await
                .unwrap();
        match status.as_str() {
            "succeeded" => return output.unwrap_or(Value::Null),
            "failed" | "cancelled" | "timed_out" => panic!("the sweep ended {status}: {output:?}"),
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    panic!("the sweep did not finish");
}

/// The agent Jobs of a run, by name, with the namespace of each.
fn jobs_of(fake: &FakeKube, run: Uuid) -> Vec<(String, String)> {
    let mut jobs: Vec<(String, String)> = fake
        .list("jobs", None)
        .iter()
        .filter(|j| j["metadata"]["labels"][labels::RUN_ID] == run.to_string())
        .map(|j| {
            let meta = &j["metadata"];
            (
                meta["namespace"].as_str().unwrap().to_owned(),
                meta["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    jobs.sort_by(|a, b| a.1.cmp(&b.1));
    jobs
}

/// Waits for the `n`th Job of `run` and its pod; returns (namespace, job, pod).
async fn nth_job(fake: &FakeKube, run: Uuid, n: usize) -> (String, String, String) {
    for _ in 0..400 {
        if let Some((ns, job)) = jobs_of(fake, run).get(n).cloned() {
            let pod = fake.list("pods", Some(&ns)).into_iter().find(|p| {
                p["metadata"]["labels"]["job-name"] == job.as_str()
                    || p["metadata"]["ownerReferences"][0]["name"] == job.as_str()
            });
            if let Some(pod) = pod {
                return (
                    ns,
                    job,
                    pod["metadata"]["name"].as_str().unwrap().to_owned(),
                );
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no Job #{n} of run {run}: {:?}", jobs_of(fake, run));
}

/// The text of a Secret's base64 `data` value.
fn decoded(value: &Value) -> String {
    let bytes = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        value.as_str().expect("a base64 string"),
    )
    .expect("valid base64");
    String::from_utf8(bytes).expect("UTF-8 text")
}

/// A platform whose agents run through the Kubernetes runtime against `fake`, with no pre-review.
async fn kube_platform(fake: &FakeKube) -> TestPlatform {
    TestPlatform::start(Options {
        runtime: Some(Arc::new(runtime(fake))),
        review_max_rounds: 0,
        ..Options::default()
    })
    .await
}

/// Ends the agent container of `pod` with `code` and the kubelet's `reason`.
fn terminate(fake: &FakeKube, ns: &str, pod: &str, code: i32, reason: &str) {
    let status = json!({ "phase": "Failed", "containerStatuses": [{
        "name": "agent", "ready": false, "restartCount": 0, "image": "x", "imageID": "",
        "state": { "terminated": { "exitCode": code, "reason": reason } }
    }]});
    fake.set_status("pods", Some(ns), pod, status);
}

#[tokio::test]
async fn an_agent_the_cluster_kills_is_relaunched_twice_then_the_run_fails_with_the_cause() {
    let fake = FakeKube::start().await;
    let p = kube_platform(&fake).await;
    let run = crate::outcome::dev_run(&p, 61).await;
    // Each launch is killed by the kernel's OOM killer: the infrastructure's failure, not the
    // agent's; the stage relaunches a new Job (attempt 1, 2), then gives up.
    for attempt in 0..3 {
        let (ns, job, pod) = nth_job(&fake, run, attempt).await;
        assert!(job.ends_with(&format!("-{attempt}")), "{job}");
        fake.set_pod_log(&ns, &pod, &format!("attempt {attempt}: allocating\n"));
        terminate(&fake, &ns, &pod, 137, "OOMKilled");
    }
    let detail = p.finished(run, Duration::from_secs(60)).await;
    let created = fake
        .requests()
        .iter()
        .filter(|r| r.method == http::Method::POST && r.path.ends_with("/jobs"))
        .count();
    assert_eq!(created, 3, "two relaunches, no more");
    assert!(
        jobs_of(&fake, run).is_empty(),
        "the ended run's Jobs are released"
    );
    let steps: Vec<String> = detail.steps.iter().map(|s| s.name.clone()).collect();
    for diagnose in ["diagnose_agent_0", "diagnose_agent_1"] {
        assert!(steps.iter().any(|s| s == diagnose), "{steps:?}");
    }
    // The last pod's log tail is kept with the run, in its collected output.
    let tail_kept = detail.steps.iter().any(|s| {
        s.output
            .as_ref()
            .is_some_and(|o| o.to_string().contains("attempt 2: allocating"))
    });
    assert!(tail_kept, "{steps:?}");
    let failure: Option<String> =
        sqlx::query_scalar("select failure from agent_runs where id = $1")
            .bind(run)
            .fetch_one(&p.pool)
            .await
            .unwrap();
    let failure = failure.unwrap_or_default();
    assert!(failure.contains("OOMKilled"), "{failure}");
    p.stop().await;
}

#[tokio::test]
async fn staff_see_a_runs_namespace_without_secret_values_and_delete_it_once_no_run_uses_it() {
    let fake = FakeKube::start().await;
    let p = kube_platform(&fake).await;
    p.add_user("reader", Some("read"), false).await;
    p.add_user("rw", Some("read_write"), false).await;
    let reader = p.token_for("reader@acme.test").await;
    let rw = p.token_for("rw@acme.test").await;
    let run = crate::outcome::dev_run(&p, 71).await;
    let (ns, job, pod) = nth_job(&fake, run, 0).await;
    let path = format!("/api/v1/staff/runs/{run}/environment");

    // A reader sees the namespace, its lease, the agent's Job and Pod, and Secrets by key name.
    let (status, view, _) = p.staff_call("GET", &path, Some(&reader), None).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(
        (&view["namespace"], &view["exists"], &view["shared"]),
        (&json!(ns), &json!(true), &json!(false))
    );
    assert_eq!(
        (&view["environment"], &view["view_only"]),
        (&json!("ai_slot"), &json!(false))
    );
    assert!(view["lease_expires_at"].is_string(), "{view}");
    assert_eq!(view["jobs"][0]["name"], job.as_str(), "{view}");
    assert_eq!(view["jobs"][0]["state"], "running", "{view}");
    assert_eq!(view["pods"][0]["name"], pod.as_str(), "{view}");
    let (status, detail, _) = p
        .staff_call(
            "GET",
            &format!("/api/v1/staff/runs/{run}"),
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(
        (status, &detail["links"]["namespace"]),
        (200, &json!(ns)),
        "{detail}"
    );
    let launch = workflows::kubernetes::names::agent_secret(&job);
    let secret = fake
        .get("secrets", Some(&ns), &launch)
        .expect("the launch Secret");
    let listed = view["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == launch.as_str())
        .unwrap_or_else(|| panic!("the launch Secret is listed: {view}"));
    assert_eq!(listed["managed"], true, "{view}");
    let text = view.to_string();
    for (key, value) in secret["data"].as_object().expect("the Secret has data") {
        assert!(
            listed["keys"].as_array().unwrap().contains(&json!(key)),
            "{view}"
        );
        assert!(
            !text.contains(value.as_str().unwrap()),
            "a Secret value was returned"
        );
        let plain = decoded(value);
        assert!(!text.contains(&plain), "a Secret value was returned");
    }

    // Deleting needs read_write, and nothing is deleted while the run is active.
    let (status, body, _) = p.staff_call("DELETE", &path, Some(&reader), None).await;
    assert_eq!(status, 403, "{body}");
    let (status, body, _) = p.staff_call("DELETE", &path, Some(&rw), None).await;
    assert_eq!((status, &body["code"]), (409, &json!("in-use")), "{body}");
    assert!(names(&fake).contains(&ns));

    // The agent fails on its own; once the run ended, the namespace goes, audited.
    terminate(&fake, &ns, &pod, 1, "Error");
    p.finished(run, Duration::from_secs(60)).await;
    // A run preparing the namespace between the read and the delete (its lease extended) makes
    // the API server refuse the delete: the namespace stays.
    let mut extended = fake.get("namespaces", None, &ns).unwrap();
    extended["metadata"]["annotations"][labels::LEASE_EXPIRES] = json!("2099-01-01T00:00:00Z");
    let at = format!("/api/v1/namespaces/{ns}");
    fake.insert_before_next(http::Method::DELETE, &at, "namespaces", extended);
    let (status, body, _) = p.staff_call("DELETE", &path, Some(&rw), None).await;
    assert_eq!((status, &body["code"]), (409, &json!("in-use")), "{body}");
    assert!(names(&fake).contains(&ns));
    let (status, body, _) = p.staff_call("DELETE", &path, Some(&rw), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({ "run_id": run, "namespace": ns }));
    assert!(!names(&fake).contains(&ns));
    let audited: Value = sqlx::query_scalar(
        "select detail from flow_events where run_id = $1 and kind = 'environment_deleted'",
    )
    .bind(run)
    .fetch_one(&p.pool)
    .await
    .unwrap();
    assert_eq!(audited, json!({ "namespace": ns, "by": "rw" }));
    let (status, view, _) = p.staff_call("GET", &path, Some(&reader), None).await;
    assert_eq!((status, &view["exists"]), (200, &json!(false)), "{view}");

    // A namespace of that name the platform did not create is refused by the guardrails.
    let binding = directory::binding(&p.pool, "acme/shop")
        .await
        .unwrap()
        .unwrap();
    let mut other = agent_run_row(&binding, "dev", Some("dev"), 72);
    other.status = "succeeded".into();
    agent_run::insert(&p.pool, &other).await.unwrap();
    let foreign = workflows::kubernetes::names::run_namespace("codex-", p.project_id, 72, "dev");
    fake.insert("namespaces", json!({ "metadata": { "name": foreign } }));
    let other_path = format!("/api/v1/staff/runs/{}/environment", other.id);
    let (status, body, _) = p.staff_call("DELETE", &other_path, Some(&rw), None).await;
    assert_eq!(
        (status, &body["code"]),
        (409, &json!("guardrail")),
        "{body}"
    );
    assert!(names(&fake).contains(&foreign));
    p.stop().await;
}

#[tokio::test]
async fn a_project_admin_reveals_one_secret_of_a_run_audited_and_nobody_else_does() {
    let fake = FakeKube::start().await;
    let p = kube_platform(&fake).await;
    p.add_user("reader", Some("read"), false).await;
    p.add_user("rw", Some("read_write"), false).await;
    p.add_user("padmin", Some("admin"), false).await;
    let reader = p.token_for("reader@acme.test").await;
    let rw = p.token_for("rw@acme.test").await;
    let admin = p.token_for("padmin@acme.test").await;
    let run = crate::outcome::dev_run(&p, 81).await;
    let (ns, job, _pod) = nth_job(&fake, run, 0).await;
    let launch = workflows::kubernetes::names::agent_secret(&job);
    // A Secret someone put there with a text value and bytes that are not text.
    fake.insert(
        "secrets",
        json!({ "metadata": { "name": "db-credentials", "namespace": ns },
                "data": { "password": "aHVudGVyMg==", "blob": "/wA=" } }),
    );
    let path = |name: &str| format!("/api/v1/staff/runs/{run}/environment/secrets/{name}/reveal");

    // Readers and read_write members may see key names, never values.
    for token in [&reader, &rw] {
        let (status, body, _) = p
            .staff_call("POST", &path("db-credentials"), Some(token), None)
            .await;
        assert_eq!(status, 403, "{body}");
    }
    // A project admin gets the values, uncached; the reveal is audited without them.
    let (status, body, headers) = p
        .staff_call_headers("POST", &path("db-credentials"), Some(&admin), None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(
        body,
        json!({ "run_id": run, "namespace": ns, "name": "db-credentials", "values": [
            { "key": "blob", "value": "/wA=", "encoding": "base64" },
            { "key": "password", "value": "hunter2", "encoding": "utf-8" },
        ] })
    );
    let audited: Vec<Value> = sqlx::query_scalar(
        "select detail from flow_events where run_id = $1 and kind = 'secret_revealed'",
    )
    .bind(run)
    .fetch_all(&p.pool)
    .await
    .unwrap();
    assert_eq!(
        audited,
        vec![json!({ "namespace": ns, "secret": "db-credentials",
                     "keys": ["blob", "password"], "by": "padmin" })]
    );
    // The launch Secret the platform made reveals the same way; its audit row has no value.
    let (status, body, _) = p
        .staff_call("POST", &path(&launch), Some(&admin), None)
        .await;
    assert_eq!(status, 200, "{body}");
    let stored = fake.get("secrets", Some(&ns), &launch).unwrap();
    let events = sqlx::query_scalar::<_, Value>(
        "select coalesce(jsonb_agg(detail), '[]') from flow_events where run_id = $1",
    )
    .bind(run)
    .fetch_one(&p.pool)
    .await
    .unwrap()
    .to_string();
    for value in stored["data"].as_object().unwrap().values() {
        let plain = decoded(value);
        let revealed = body["values"].as_array().unwrap();
        assert!(
            revealed.iter().any(|v| v["value"] == plain.as_str()),
            "{body}"
        );
        assert!(
            !events.contains(&plain),
            "a revealed value reached a flow event"
        );
        // The agent holds its run token (a value of this Secret): it opens no staff endpoint.
        let (status, refused, _) = p
            .staff_call("POST", &path("db-credentials"), Some(&plain), None)
            .await;
        assert_eq!(status, 401, "{refused}");
    }

    // No such Secret, a name the contract refuses, and a run without an environment.
    let (status, body, _) = p
        .staff_call("POST", &path("missing"), Some(&admin), None)
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, body, _) = p
        .staff_call("POST", &path("Not_A_Name"), Some(&admin), None)
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body, _) = p
        .staff_call(
            "POST",
            &format!(
                "/api/v1/staff/runs/{}/environment/secrets/x/reveal",
                Uuid::new_v4()
            ),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let fired = sqlx::query_scalar::<_, i64>(
        "select count(*) from flow_events where kind = 'secret_revealed'",
    )
    .fetch_one(&p.pool)
    .await
    .unwrap();
    assert_eq!(fired, 2, "only the two reveals are audited");
    p.stop().await;
}
