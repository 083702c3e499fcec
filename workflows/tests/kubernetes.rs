//! The Kubernetes runtime driven by the real `kube` client against the fake API server of test
//! support: the objects of a run, revise reuse and lease extension, idempotent re-creation, Job
//! status verdicts, a lost watch, stop and release, and namespaces the platform did not create.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use testkit::kube_api::FakeKube;
use uuid::Uuid;
use workflows::{
    kubernetes::{KubeSettings, KubernetesRuntime, labels, objects::NamespaceFor},
    policy::{AccessProfile, ExecutionMode},
    runtime::{AgentRuntime, AgentSpec, AgentState, Launched, RunScope, Workspace},
};

const TOKEN: &str = "run-token-value-7f3a9c";
const MODEL_KEY: &str = "sk-model-key-value-91b2";
const WAIT: Duration = Duration::from_secs(20);

fn runtime(fake: &FakeKube) -> KubernetesRuntime {
    let config = kube::Config::new(fake.url().parse().expect("the fake's url"));
    let client = kube::Client::try_from(config).expect("a client for the fake");
    let settings = KubeSettings {
        runner_image: "ghcr.io/codex-k8s/codex-k8s:0.1.0".into(),
        model_key: Some((
            "OPENAI_API_KEY".into(),
            workflows::github::Token::new(MODEL_KEY),
        )),
        production_namespace: Some("shop-prod".into()),
        ..KubeSettings::default()
    };
    KubernetesRuntime::new(client, settings)
}

fn spec(run_id: Uuid, project: Uuid, mode: ExecutionMode, profile: AccessProfile) -> AgentSpec {
    AgentSpec {
        run_id,
        repository: "acme/shop".into(),
        branch: "codex/issue-42".into(),
        prompt: "do the work".into(),
        model: "gpt-5.4".into(),
        reasoning: "high".into(),
        role: "dev".into(),
        env: vec![
            ("CK8S_RUN_TOKEN".into(), TOKEN.into()),
            (
                "CK8S_PLATFORM_URL".into(),
                "http://codex-k8s-api.codex-k8s:8080".into(),
            ),
        ],
        checkout: Some(workflows::runtime::Checkout {
            clone_url: "https://github.com/acme/shop.git".into(),
            default_branch: "main".into(),
        }),
        attempt: 0,
        scope: Some(RunScope {
            project_id: project,
            thread: 42,
            mode,
            profile,
        }),
    }
}

/// A `full-env` `candidate` run of a new project, prepared and launched on `fake`.
async fn launched_candidate(
    fake: &FakeKube,
) -> (KubernetesRuntime, AgentSpec, Workspace, String, Launched) {
    let rt = runtime(fake);
    let s = spec(
        Uuid::new_v4(),
        Uuid::new_v4(),
        ExecutionMode::FullEnv,
        AccessProfile::Candidate,
    );
    let ws = rt.prepare(&s).await.unwrap();
    let ns = namespace_of(&ws);
    let launched = rt.launch(&ws, &s).await.unwrap();
    (rt, s, ws, ns, launched)
}

fn namespace_of(ws: &Workspace) -> String {
    ws.handle.split_once('/').unwrap().0.to_owned()
}

fn only(fake: &FakeKube, plural: &str, ns: &str) -> Value {
    let items = fake.list(plural, Some(ns));
    assert_eq!(items.len(), 1, "{plural} in {ns}: {items:#?}");
    items.into_iter().next().unwrap()
}

fn pod_of(fake: &FakeKube, ns: &str) -> String {
    only(fake, "pods", ns)["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn terminate(fake: &FakeKube, ns: &str, pod: &str, terminated: Value) {
    fake.set_status(
        "pods",
        Some(ns),
        pod,
        json!({ "phase": "Failed", "containerStatuses": [{
            "name": "agent", "ready": false, "restartCount": 0, "image": "x", "imageID": "",
            "state": { "terminated": terminated }
        }]}),
    );
}

#[tokio::test]
async fn a_full_env_run_gets_its_namespace_rbac_quota_policies_and_a_locked_down_job() {
    let fake = FakeKube::start().await;
    let (rt, _, _, ns, _) = launched_candidate(&fake).await;
    let settings = format!("{:?}", rt.settings());
    assert!(
        !settings.contains(MODEL_KEY),
        "the settings' Debug shows no key"
    );

    let namespace = fake
        .get("namespaces", None, &ns)
        .expect("the run namespace");
    let nl = &namespace["metadata"]["labels"];
    assert_eq!(nl[labels::MANAGED_BY], "codex-k8s");
    assert_eq!(nl["pod-security.kubernetes.io/enforce"], "restricted");
    assert_eq!(nl[labels::ROLE], "dev");
    assert!(namespace["metadata"]["annotations"][labels::LEASE_EXPIRES].is_string());

    let sa = only(&fake, "serviceaccounts", &ns);
    assert_eq!(sa["automountServiceAccountToken"], false);
    let role = only(&fake, "roles", &ns);
    let rules = role["rules"].as_array().unwrap();
    for rule in rules {
        let resources: Vec<&str> = rule["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        assert!(
            !resources.contains(&"secrets") && !resources.contains(&"*"),
            "{rule}"
        );
        assert!(
            !rule["verbs"].as_array().unwrap().contains(&json!("*")),
            "{rule}"
        );
    }
    assert!(
        rules.iter().any(|r| r["resources"]
            .as_array()
            .unwrap()
            .contains(&json!("pods/exec"))),
        "candidate may exec: {rules:#?}"
    );
    let binding = only(&fake, "rolebindings", &ns);
    assert_eq!(binding["subjects"][0]["namespace"], ns.as_str());
    let quota = only(&fake, "resourcequotas", &ns);
    assert!(quota["spec"]["hard"]["pods"].is_string(), "{quota}");
    only(&fake, "limitranges", &ns);
    let policies = fake.list("networkpolicies", Some(&ns));
    assert_eq!(policies.len(), 2, "{policies:#?}");
    assert!(
        policies
            .iter()
            .any(|p| p["spec"]["podSelector"] == json!({})
                && p["spec"]["ingress"].is_null()
                && p["spec"]["egress"].is_null()
                && p["spec"]["policyTypes"] == json!(["Ingress", "Egress"])),
        "a default deny: {policies:#?}"
    );

    let job = only(&fake, "jobs", &ns);
    assert_eq!(job["spec"]["backoffLimit"], 0);
    assert!(job["spec"]["ttlSecondsAfterFinished"].is_number());
    assert!(
        job["spec"]["activeDeadlineSeconds"].is_null(),
        "the budget is the engine's"
    );
    let pod_spec = &job["spec"]["template"]["spec"];
    assert_eq!(
        pod_spec["automountServiceAccountToken"], true,
        "the candidate profile talks to the API (diagnostics); the ServiceAccount itself mounts nothing"
    );
    assert_eq!(
        pod_spec["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    let agent = &pod_spec["containers"][0];
    assert_eq!(agent["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(agent["securityContext"]["runAsNonRoot"], true);
    assert_eq!(agent["securityContext"]["allowPrivilegeEscalation"], false);
    assert!(agent["resources"]["limits"]["memory"].is_string());
    let env = agent["env"].as_array().unwrap();
    let from_secret = |name: &str| {
        env.iter()
            .find(|e| e["name"] == name)
            .map(|e| e["valueFrom"]["secretKeyRef"].is_object())
    };
    assert_eq!(from_secret("CK8S_RUN_TOKEN"), Some(true));
    assert_eq!(from_secret("OPENAI_API_KEY"), Some(true));
    // The checkout exchanges the run token for its read credential (ADR 0027): the token by
    // reference, the platform's URL, and a credential helper rather than a token in the URL.
    let checkout = &pod_spec["initContainers"][0];
    let init_env = checkout["env"].as_array().unwrap();
    let token_ref = init_env
        .iter()
        .find(|e| e["name"] == "CK8S_RUN_TOKEN")
        .unwrap();
    assert!(token_ref["value"].is_null() && token_ref["valueFrom"]["secretKeyRef"].is_object());
    assert!(init_env.iter().any(|e| e["name"] == "CK8S_PLATFORM_URL"));
    assert!(
        checkout["command"][2]
            .as_str()
            .unwrap()
            .contains("git-credential")
    );
    // No secret value in any Job or Pod, and the Secret holds them.
    for plural in ["jobs", "pods", "configmaps"] {
        let text = serde_json::to_string(&fake.list(plural, Some(&ns))).unwrap();
        assert!(
            !text.contains(TOKEN) && !text.contains(MODEL_KEY),
            "a secret value in {plural}: {text}"
        );
    }
    let secret = only(&fake, "secrets", &ns);
    assert_eq!(secret["immutable"], true);
    let job_name = job["metadata"]["name"].as_str().unwrap();
    eprintln!(
        "objects of one full-env run in {ns}: Namespace, ServiceAccount {}, Role {} ({} rules), RoleBinding, ResourceQuota, LimitRange, NetworkPolicy x{}, Secret {}, ConfigMap, Job {job_name}",
        sa["metadata"]["name"],
        role["metadata"]["name"],
        rules.len(),
        policies.len(),
        secret["metadata"]["name"]
    );
}

#[tokio::test]
async fn production_readonly_gets_read_verbs_only_and_code_only_runs_share_the_project_namespace() {
    let fake = FakeKube::start().await;
    let rt = runtime(&fake);
    fake.insert(
        "namespaces",
        json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "shop-prod" } }),
    );
    let project = Uuid::new_v4();
    let s = spec(
        Uuid::new_v4(),
        project,
        ExecutionMode::FullEnv,
        AccessProfile::ProductionReadonly,
    );
    let ws = rt.prepare(&s).await.unwrap();
    let ns = namespace_of(&ws);
    for role in fake
        .list("roles", Some(&ns))
        .into_iter()
        .chain(fake.list("roles", Some("shop-prod")))
    {
        for rule in role["rules"].as_array().unwrap() {
            let verbs: Vec<&str> = rule["verbs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert!(
                verbs.iter().all(|v| ["get", "list", "watch"].contains(v)),
                "{rule}"
            );
            let resources = rule["resources"].as_array().unwrap();
            for forbidden in ["secrets", "pods/exec", "pods/portforward"] {
                assert!(!resources.contains(&json!(forbidden)), "{rule}");
            }
        }
    }
    assert!(
        !fake.list("roles", Some("shop-prod")).is_empty(),
        "the production namespace can be read"
    );

    let a = rt
        .prepare(&spec(
            Uuid::new_v4(),
            project,
            ExecutionMode::CodeOnly,
            AccessProfile::Candidate,
        ))
        .await
        .unwrap();
    let mut other = spec(
        Uuid::new_v4(),
        project,
        ExecutionMode::CodeOnly,
        AccessProfile::Candidate,
    );
    other.scope.as_mut().unwrap().thread = 7;
    let b = rt.prepare(&other).await.unwrap();
    assert_eq!(
        namespace_of(&a),
        namespace_of(&b),
        "code-only runs of a project share its namespace"
    );
    assert_ne!(namespace_of(&a), ns);
}

#[tokio::test]
async fn a_revise_reuses_the_namespace_and_extends_its_lease_and_relaunching_after_a_crash_creates_nothing_twice()
 {
    let fake = FakeKube::start().await;
    let rt = runtime(&fake);
    let project = Uuid::new_v4();
    let first = spec(
        Uuid::new_v4(),
        project,
        ExecutionMode::FullEnv,
        AccessProfile::Candidate,
    );
    let who = |s: &AgentSpec| NamespaceFor {
        run_id: s.run_id,
        project,
        issue: 42,
        role: "dev".into(),
        mode: ExecutionMode::FullEnv,
        profile: AccessProfile::Candidate,
    };
    let t0 = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap();
    let ns = rt.ensure_namespace(&who(&first), t0).await.unwrap();
    let lease = |fake: &FakeKube| {
        let a = fake.get("namespaces", None, &ns).unwrap()["metadata"]["annotations"].clone();
        (
            a[labels::LEASE_CREATED].as_str().unwrap().to_owned(),
            a[labels::LEASE_EXPIRES].as_str().unwrap().to_owned(),
        )
    };
    let (created, expires) = lease(&fake);
    let revise = spec(
        Uuid::new_v4(),
        project,
        ExecutionMode::FullEnv,
        AccessProfile::Candidate,
    );
    let again = rt
        .ensure_namespace(&who(&revise), t0 + chrono::Duration::hours(5))
        .await
        .unwrap();
    assert_eq!(again, ns, "the revise works in the same namespace");
    let (created2, expires2) = lease(&fake);
    assert_eq!(created2, created, "the first creation time stays");
    assert!(
        expires2 > expires,
        "the lease is extended: {expires} -> {expires2}"
    );
    // An older clock never shortens it.
    rt.ensure_namespace(&who(&revise), t0).await.unwrap();
    assert_eq!(lease(&fake).1, expires2);

    // A worker that crashed mid-step runs prepare and launch again: one Job, one Pod.
    let ws = rt.prepare(&revise).await.unwrap();
    rt.launch(&ws, &revise).await.unwrap();
    let ws2 = rt.prepare(&revise).await.unwrap();
    assert_eq!(ws, ws2);
    let second = rt.launch(&ws2, &revise).await.unwrap();
    assert_eq!(fake.list("jobs", Some(&ns)).len(), 1);
    assert_eq!(fake.list("pods", Some(&ns)).len(), 1);
    assert!(second.agent.starts_with("agent-"));
    assert_eq!(fake.list("serviceaccounts", Some(&ns)).len(), 1);
}

#[tokio::test]
async fn an_oom_kill_is_the_infrastructures_and_an_exit_code_is_the_agents_with_the_log_tail_kept()
{
    let fake = FakeKube::start().await;
    let rt = runtime(&fake);
    let project = Uuid::new_v4();
    let s = spec(
        Uuid::new_v4(),
        project,
        ExecutionMode::FullEnv,
        AccessProfile::Candidate,
    );
    let ws = rt.prepare(&s).await.unwrap();
    let ns = namespace_of(&ws);
    rt.launch(&ws, &s).await.unwrap();
    assert_eq!(rt.probe(&ws).await.unwrap(), AgentState::Running);
    let pod = pod_of(&fake, &ns);
    fake.set_pod_log(&ns, &pod, "line 1\nline 2\nkilled\n");
    terminate(
        &fake,
        &ns,
        &pod,
        json!({ "exitCode": 137, "reason": "OOMKilled" }),
    );
    assert_eq!(rt.probe(&ws).await.unwrap(), AgentState::Gone);
    let out = rt.collect(&ws).await.unwrap();
    assert_eq!(out.infrastructure_failure.as_deref(), Some("OOMKilled"));
    assert!(
        out.log_tail
            .as_deref()
            .unwrap_or_default()
            .contains("killed"),
        "{out:?}"
    );

    let mut next = spec(
        Uuid::new_v4(),
        project,
        ExecutionMode::FullEnv,
        AccessProfile::Candidate,
    );
    next.role = "qa".into();
    let ws = rt.prepare(&next).await.unwrap();
    let ns = namespace_of(&ws);
    rt.launch(&ws, &next).await.unwrap();
    let pod = pod_of(&fake, &ns);
    terminate(
        &fake,
        &ns,
        &pod,
        json!({ "exitCode": 3, "reason": "Error" }),
    );
    assert_eq!(rt.probe(&ws).await.unwrap(), AgentState::Exited { code: 3 });
    assert_eq!(rt.collect(&ws).await.unwrap().infrastructure_failure, None);
}

#[tokio::test]
async fn a_lost_watch_resumes_and_still_sees_the_jobs_end() {
    let fake = FakeKube::start().await;
    let (_, _, _, ns, launched) = launched_candidate(&fake).await;
    let exited = tokio::spawn(launched.exited.expect("the runtime watches the Job"));
    // The watch is established, then history is compacted and every stream cut: the watcher
    // must re-list (410 Expired) and still see the end.
    let deadline = tokio::time::Instant::now() + WAIT;
    while !fake
        .requests()
        .iter()
        .any(|r| r.is_watch() && r.path.ends_with("/jobs"))
    {
        assert!(tokio::time::Instant::now() < deadline, "no watch opened");
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    fake.compact();
    fake.break_watches();
    let pod = pod_of(&fake, &ns);
    terminate(
        &fake,
        &ns,
        &pod,
        json!({ "exitCode": 0, "reason": "Completed" }),
    );
    fake.set_status(
        "jobs",
        Some(&ns),
        &launched.agent,
        json!({ "succeeded": 1, "conditions": [{ "type": "Complete", "status": "True" }] }),
    );
    let code = tokio::time::timeout(WAIT, exited)
        .await
        .expect("the end is seen")
        .unwrap();
    assert_eq!(code, 0);
}

#[tokio::test]
async fn stop_and_release_delete_the_job_and_never_touch_a_namespace_the_platform_did_not_create() {
    let fake = FakeKube::start().await;
    let (rt, _, ws, ns, _) = launched_candidate(&fake).await;
    // The budget is spent: the workflow's cleanup stops and releases the runtime.
    rt.stop(&ws).await.unwrap();
    assert!(
        fake.list("jobs", Some(&ns)).is_empty(),
        "the Job is deleted"
    );
    rt.release(&ws).await.unwrap();
    assert!(
        fake.list("secrets", Some(&ns)).is_empty(),
        "the launch's Secret goes"
    );
    assert!(
        fake.get("namespaces", None, &ns).is_some(),
        "the namespace stays for its lease"
    );
    rt.release(&ws).await.unwrap();

    let mut other = spec(
        Uuid::new_v4(),
        Uuid::new_v4(),
        ExecutionMode::FullEnv,
        AccessProfile::Candidate,
    );
    other.role = "ops".into();
    let name = {
        let ws = rt.prepare(&other).await.unwrap();
        let name = namespace_of(&ws);
        fake.delete("namespaces", None, &name);
        name
    };
    fake.insert("namespaces", json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": name, "labels": { "team": "someone-else" } } }));
    let err = rt.prepare(&other).await.unwrap_err().to_string();
    assert!(err.contains("not managed by the platform"), "{err}");
    let untouched = fake.get("namespaces", None, &name).unwrap();
    assert_eq!(
        untouched["metadata"]["labels"],
        json!({ "team": "someone-else" })
    );
    assert!(fake.list("serviceaccounts", Some(&name)).is_empty());
}

#[tokio::test]
async fn the_scaler_patches_the_worker_deployments_scale_over_a_scripted_backlog() {
    use workflows::kubernetes::{
        scaler::{Backlog, ScalerConfig},
        scaler_loop::{ScaleTarget, WorkerScaler},
    };
    let fake = FakeKube::start().await;
    fake.insert(
        "namespaces",
        json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "codex-k8s" } }),
    );
    fake.insert("deployments", json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": { "name": "codex-k8s-worker", "namespace": "codex-k8s" },
        "spec": { "replicas": 1, "selector": { "matchLabels": { "app": "w" } },
                  "template": { "metadata": { "labels": { "app": "w" } }, "spec": { "containers": [{ "name": "w", "image": "x:1" }] } } }
    }));
    let config = kube::Config::new(fake.url().parse().unwrap());
    let client = kube::Client::try_from(config).unwrap();
    let target = ScaleTarget {
        namespace: "codex-k8s".into(),
        deployment: "codex-k8s-worker".into(),
        queues: vec!["stages".into()],
        every: Duration::from_secs(30),
        call_timeout: Duration::from_secs(10),
    };
    let mut scaler = WorkerScaler::new(client, target, ScalerConfig::default());
    let b = |ready, age, in_flight| Backlog {
        ready,
        oldest_ready_age_s: age,
        in_flight,
    };
    // A burst, a plateau, a dip that comes back, the drain; a decision every 30 s.
    let script = [
        (0, b(0, 0.0, 0)),
        (30, b(120, 5.0, 10)),
        (60, b(100, 40.0, 40)),
        (90, b(60, 20.0, 80)),
        (120, b(10, 2.0, 100)),
        (150, b(0, 0.0, 30)),
        (180, b(90, 3.0, 20)),
        (240, b(0, 0.0, 0)),
        (540, b(0, 0.0, 0)),
        (900, b(0, 0.0, 0)),
        (1260, b(0, 0.0, 0)),
    ];
    let mut seen = Vec::new();
    for (t, backlog) in script {
        let d = scaler
            .tick_with(Duration::from_secs(t), backlog)
            .await
            .unwrap();
        let stored = fake
            .get("deployments", Some("codex-k8s"), "codex-k8s-worker")
            .unwrap();
        assert_eq!(
            stored["spec"]["replicas"], d.desired,
            "the Deployment follows the decision at {t}s"
        );
        seen.push((t, d.desired, d.reason));
    }
    eprintln!("scaler decisions (t s, replicas, reason): {seen:?}");
    let replicas: Vec<u32> = seen.iter().map(|s| s.1).collect();
    assert_eq!(replicas, [1, 3, 5, 7, 7, 7, 7, 7, 5, 3, 1]);
    let patches = fake
        .requests()
        .iter()
        .filter(|r| r.method == http::Method::PATCH && r.path.ends_with("/scale"))
        .count();
    assert_eq!(patches, 6, "a patch per change only");
}

#[tokio::test]
async fn cleanup_deletes_expired_and_closed_run_namespaces_and_never_an_unmanaged_or_platform_one()
{
    let fake = FakeKube::start().await;
    let rt = runtime(&fake);
    let (p1, p2) = (Uuid::new_v4(), Uuid::new_v4());
    let who = |project, issue, role: &str, mode| NamespaceFor {
        run_id: Uuid::new_v4(),
        project,
        issue,
        role: role.into(),
        mode,
        profile: AccessProfile::Candidate,
    };
    let t0 = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap();
    let expired = rt
        .ensure_namespace(&who(p1, 1, "dev", ExecutionMode::FullEnv), t0)
        .await
        .unwrap();
    let busy = rt
        .ensure_namespace(&who(p1, 2, "dev", ExecutionMode::FullEnv), t0)
        .await
        .unwrap();
    let fresh = rt
        .ensure_namespace(
            &who(p1, 3, "dev", ExecutionMode::FullEnv),
            t0 + chrono::Duration::hours(30),
        )
        .await
        .unwrap();
    let shared = rt
        .ensure_namespace(&who(p2, 4, "dev", ExecutionMode::CodeOnly), t0)
        .await
        .unwrap();
    // Someone else's namespace carrying our selector labels, and one of the platform itself.
    for (name, labels) in [
        (
            "lookalike",
            json!({ "app.kubernetes.io/component": "run-namespace", "codex-k8s.io/project": p1.to_string(), "codex-k8s.io/issue": "9" }),
        ),
        (
            "platform-env",
            json!({ "app.kubernetes.io/managed-by": "codex-k8s", "app.kubernetes.io/part-of": "codex-k8s", "app.kubernetes.io/component": "run-namespace", "codex-k8s.io/project": p1.to_string(), "codex-k8s.io/issue": "9", "codex-k8s.io/runtime-mode": "full-env" }),
        ),
    ] {
        fake.insert("namespaces", json!({ "apiVersion": "v1", "kind": "Namespace",
            "metadata": { "name": name, "labels": labels, "annotations": { labels::LEASE_EXPIRES: "2026-01-01T00:00:00Z" } } }));
    }
    let now = t0 + chrono::Duration::hours(25);
    let active: std::collections::HashSet<_> = [(p1, 2), (p2, 99)].into();
    let swept = rt.sweep_namespaces(now, &active).await.unwrap();
    assert_eq!(swept.deleted, vec![expired.clone()], "{swept:?}");
    assert!(
        swept
            .kept
            .iter()
            .any(|(n, why)| *n == busy && why.contains("active")),
        "{swept:?}"
    );
    assert!(
        swept.kept.iter().any(|(n, _)| *n == shared),
        "another issue's run keeps the project's code-only namespace: {swept:?}"
    );
    assert!(
        swept
            .kept
            .iter()
            .any(|(n, why)| n == "platform-env" && why.contains("part of the platform")),
        "{swept:?}"
    );
    for name in [&busy, &fresh, &shared] {
        assert!(fake.get("namespaces", None, name).is_some(), "{name} stays");
    }
    assert!(
        fake.get("namespaces", None, "lookalike").is_some(),
        "never selected, never deleted"
    );
    assert!(fake.get("namespaces", None, "platform-env").is_some());

    // The Issue closes: its full-env namespaces go, the platform's one and the shared one stay.
    let closed = rt.delete_thread_namespaces(p1, 3).await.unwrap();
    assert_eq!(closed.deleted, vec![fresh.clone()]);
    let closed = rt.delete_thread_namespaces(p1, 9).await.unwrap();
    assert!(closed.deleted.is_empty(), "{closed:?}");
    assert!(fake.get("namespaces", None, "platform-env").is_some());
    let closed = rt.delete_thread_namespaces(p2, 4).await.unwrap();
    assert!(
        closed.deleted.is_empty(),
        "the code-only namespace is the project's: {closed:?}"
    );
    assert!(fake.get("namespaces", None, &shared).is_some());
}

#[tokio::test]
async fn kubectl_reads_a_runs_objects_and_a_readonly_user_would_see_no_secret_in_the_job() {
    let fake = FakeKube::start().await;
    let (_, _, _, ns, _) = launched_candidate(&fake).await;
    let dir = std::env::temp_dir().join(format!("k8s-runtime-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let kubeconfig = fake.kubeconfig(&dir);
    let kubectl = |args: Vec<String>| {
        let mut command = std::process::Command::new(testkit::kubectl::kubectl());
        command
            .args(args)
            .env("KUBECONFIG", &kubeconfig)
            .env("KUBECACHEDIR", dir.join("cache"))
            .env("HOME", &dir);
        tokio::task::spawn_blocking(move || command.output().expect("run kubectl"))
    };
    let args = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
    let out = kubectl(args(&format!(
        "get jobs,serviceaccounts,roles,rolebindings,resourcequotas,limitranges,networkpolicies -n {ns} -o json"
    )))
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "Job",
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "ResourceQuota",
        "LimitRange",
        "NetworkPolicy",
    ] {
        assert!(kinds.contains(&kind), "kubectl sees the {kind}: {kinds:?}");
    }
    for item in list["items"].as_array().unwrap() {
        if item["kind"] == "Job" {
            let job: k8s_openapi::api::batch::v1::Job =
                serde_json::from_value(item.clone()).unwrap();
            assert_eq!(job.spec.unwrap().backoff_limit, Some(0));
        }
    }
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains(TOKEN) && !text.contains(MODEL_KEY),
        "no secret value outside the Secret"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_lease_extended_between_the_sweeps_read_and_its_delete_keeps_the_namespace() {
    let fake = FakeKube::start().await;
    let rt = runtime(&fake);
    let who = NamespaceFor {
        run_id: Uuid::new_v4(),
        project: Uuid::new_v4(),
        issue: 7,
        role: "dev".into(),
        mode: ExecutionMode::FullEnv,
        profile: AccessProfile::Candidate,
    };
    let t0 = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap();
    let ns = rt.ensure_namespace(&who, t0).await.unwrap();
    let now = t0 + chrono::Duration::hours(25);
    // A new run of the thread extends the lease after the sweep re-read the namespace and
    // before its delete arrives: the delete's resource-version precondition refuses it.
    let mut extended = fake.get("namespaces", None, &ns).unwrap();
    extended["metadata"]["annotations"][labels::LEASE_EXPIRES] =
        json!((now + chrono::Duration::hours(24)).to_rfc3339());
    fake.insert_before_next(
        http::Method::DELETE,
        &format!("/api/v1/namespaces/{ns}"),
        "namespaces",
        extended,
    );
    let idle = std::collections::HashSet::new();
    let swept = rt.sweep_namespaces(now, &idle).await.unwrap();
    assert!(swept.deleted.is_empty(), "{swept:?}");
    assert!(
        swept
            .kept
            .iter()
            .any(|(n, why)| *n == ns && why.contains("changed while it was deleted")),
        "{swept:?}"
    );
    assert!(fake.get("namespaces", None, &ns).is_some());
    // The next sweep sees the new lease and leaves the namespace alone.
    let swept = rt.sweep_namespaces(now, &idle).await.unwrap();
    assert_eq!(swept, workflows::runtime::Swept::default());
    assert!(fake.get("namespaces", None, &ns).is_some());
}

/// A reveal reads one Secret of the run's own environment: in the project's shared `code-only`
/// namespace another run's Secret is not found, a namespace not yet made has none, and one the
/// platform did not create is refused.
#[tokio::test]
async fn a_reveal_finds_only_the_runs_own_secret_in_the_shared_code_only_namespace() {
    use workflows::runtime::SecretLookup;
    let fake = FakeKube::start().await;
    let rt = runtime(&fake);
    let project = Uuid::new_v4();
    let a = spec(
        Uuid::new_v4(),
        project,
        ExecutionMode::CodeOnly,
        AccessProfile::Candidate,
    );
    let mut b = spec(
        Uuid::new_v4(),
        project,
        ExecutionMode::CodeOnly,
        AccessProfile::Candidate,
    );
    b.scope.as_mut().unwrap().thread = 7;
    let scope = |s: &AgentSpec| s.scope.unwrap();
    let nothing_yet = rt
        .reveal_secret(a.run_id, "dev", scope(&a), "anything")
        .await
        .unwrap();
    assert_eq!(nothing_yet, Some(SecretLookup::NotFound));
    let mut secrets = Vec::new();
    for s in [&a, &b] {
        let ws = rt.prepare(s).await.unwrap();
        let launched = rt.launch(&ws, s).await.unwrap();
        secrets.push(workflows::kubernetes::names::agent_secret(&launched.agent));
    }
    let own = rt
        .reveal_secret(a.run_id, "dev", scope(&a), &secrets[0])
        .await
        .unwrap();
    let Some(SecretLookup::Revealed(own)) = own else {
        panic!("the run's own launch Secret: {own:?}");
    };
    assert!(
        own.values.iter().any(|v| v.value == TOKEN),
        "the launch Secret holds the run token: {:?}",
        own.keys()
    );
    let others = rt
        .reveal_secret(a.run_id, "dev", scope(&a), &secrets[1])
        .await
        .unwrap();
    assert_eq!(others, Some(SecretLookup::NotFound));

    // A namespace of a run's name that the platform did not create is not the run's.
    let c = spec(
        Uuid::new_v4(),
        project,
        ExecutionMode::FullEnv,
        AccessProfile::Candidate,
    );
    let foreign = rt.namespace_name("dev", scope(&c));
    fake.insert(
        "namespaces",
        json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": foreign } }),
    );
    fake.insert(
        "secrets",
        json!({ "metadata": { "name": "theirs", "namespace": foreign }, "data": { "k": "dg==" } }),
    );
    let refused = rt
        .reveal_secret(c.run_id, "dev", scope(&c), "theirs")
        .await
        .unwrap();
    assert!(
        matches!(&refused, Some(SecretLookup::Refused(why)) if why.contains("not managed")),
        "{refused:?}"
    );
}
