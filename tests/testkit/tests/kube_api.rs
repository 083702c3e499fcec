//! The fake Kubernetes API driven by the real `kube` client and the real `kubectl`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use futures::{Stream, StreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod};
use kube::api::{Api, DeleteParams, ListParams, LogParams, Patch, PatchParams, PostParams};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::{Value, json};
use testkit::kube_api::FakeKube;

const WAIT: Duration = Duration::from_secs(20);

fn client(fake: &FakeKube) -> kube::Client {
    let config = kube::Config::new(fake.url().parse().expect("the fake's url is a uri"));
    kube::Client::try_from(config).expect("a client for the fake")
}

fn config_map(name: &str, labels: Value) -> ConfigMap {
    serde_json::from_value(json!({
        "metadata": { "name": name, "labels": labels },
        "data": { "key": "value" },
    }))
    .unwrap()
}

fn api_status(error: kube::Error) -> Box<kube::core::Status> {
    match error {
        kube::Error::Api(status) => status,
        other => panic!("expected an API error, got {other:?}"),
    }
}

async fn create_namespace(client: &kube::Client, name: &str) {
    let namespace: Namespace =
        serde_json::from_value(json!({ "metadata": { "name": name } })).unwrap();
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &namespace)
        .await
        .unwrap();
}

/// The next item of `stream` that `wanted` picks, within [`WAIT`].
async fn next_matching<S, T, F>(stream: &mut S, mut wanted: F) -> T
where
    S: Stream + Unpin,
    F: FnMut(S::Item) -> Option<T>,
{
    tokio::time::timeout(WAIT, async {
        loop {
            let item = stream.next().await.expect("the stream ended");
            if let Some(found) = wanted(item) {
                return found;
            }
        }
    })
    .await
    .expect("timed out waiting on the stream")
}

/// Waits (bounded) until `condition` holds, yielding to the server in between.
async fn wait_until(mut condition: impl FnMut() -> bool) {
    tokio::time::timeout(WAIT, async {
        while !condition() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("timed out waiting for the condition");
}

/// The phase in a watcher event for the named pod, if it is one.
fn pod_phase(event: Result<watcher::Event<Pod>, watcher::Error>, name: &str) -> Option<String> {
    match event {
        Ok(watcher::Event::Apply(pod) | watcher::Event::InitApply(pod))
            if pod.metadata.name.as_deref() == Some(name) =>
        {
            pod.status.and_then(|s| s.phase)
        }
        _ => None,
    }
}

/// A scratch directory with a kubeconfig for the fake; removed when dropped.
struct Kubectl {
    dir: PathBuf,
    kubeconfig: PathBuf,
}

impl Kubectl {
    fn new(fake: &FakeKube) -> Self {
        let dir = std::env::temp_dir().join(format!("fake-kube-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let kubeconfig = fake.kubeconfig(&dir);
        Self { dir, kubeconfig }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(testkit::kubectl::kubectl());
        command
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("KUBECACHEDIR", self.dir.join("cache"))
            .env("HOME", &self.dir);
        command
    }

    /// Runs kubectl off the runtime's thread, so the fake keeps serving; asserts it succeeded.
    async fn run(&self, args: &[&str]) -> String {
        let output = self.output(args).await;
        assert!(
            output.status.success(),
            "kubectl {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    async fn output(&self, args: &[&str]) -> Output {
        let mut command = self.command(args);
        tokio::task::spawn_blocking(move || command.output().expect("run kubectl"))
            .await
            .unwrap()
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Kubectl {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[tokio::test]
async fn created_objects_are_read_back_and_listed_by_label_selector() {
    let fake = FakeKube::start().await;
    let api = Api::<ConfigMap>::namespaced(client(&fake), "default");
    let pp = PostParams::default();
    let web = api
        .create(
            &pp,
            &config_map("web", json!({ "app": "web", "tier": "front" })),
        )
        .await
        .unwrap();
    api.create(&pp, &config_map("db", json!({ "app": "db" })))
        .await
        .unwrap();
    api.create(&pp, &config_map("bare", json!({})))
        .await
        .unwrap();

    let meta = &web.metadata;
    assert!(meta.uid.is_some() && meta.creation_timestamp.is_some());
    let read = api.get("web").await.unwrap();
    assert_eq!(read.metadata.resource_version, meta.resource_version);
    assert_eq!(read.data.unwrap()["key"], "value");

    let names = |list: kube::core::ObjectList<ConfigMap>| -> Vec<String> {
        list.items
            .into_iter()
            .filter_map(|c| c.metadata.name)
            .collect()
    };
    let selected = |selector: &'static str| {
        let api = api.clone();
        async move {
            names(
                api.list(&ListParams::default().labels(selector))
                    .await
                    .unwrap(),
            )
        }
    };
    assert_eq!(selected("app=web").await, ["web"]);
    assert_eq!(selected("app in (web,db)").await, ["db", "web"]);
    assert_eq!(selected("app!=web").await, ["bare", "db"]);
    assert_eq!(selected("!app").await, ["bare"]);
    assert_eq!(selected("app,tier notin (back)").await, ["db", "web"]);
    assert_eq!(selected("tier,app notin (db)").await, ["web"]);
    let by_name = api
        .list(&ListParams::default().fields("metadata.name=db"))
        .await
        .unwrap();
    assert!(by_name.metadata.resource_version.is_some());
    assert_eq!(names(by_name), ["db"]);
    assert_eq!(fake.list("configmaps", Some("default")).len(), 3);
    let everywhere = Api::<ConfigMap>::all(client(&fake))
        .list(&ListParams::default())
        .await
        .unwrap();
    assert_eq!(everywhere.items.len(), 3);
}

#[tokio::test]
async fn a_duplicate_create_is_409_already_exists_and_a_missing_object_404_not_found() {
    let fake = FakeKube::start().await;
    let api = Api::<ConfigMap>::namespaced(client(&fake), "default");
    api.create(&PostParams::default(), &config_map("once", json!({})))
        .await
        .unwrap();

    let again = api
        .create(&PostParams::default(), &config_map("once", json!({})))
        .await;
    let status = api_status(again.unwrap_err());
    assert_eq!(
        (status.code, status.reason.as_str()),
        (409, "AlreadyExists")
    );
    assert_eq!(status.message, "configmaps \"once\" already exists");

    let status = api_status(api.get("missing").await.unwrap_err());
    assert_eq!((status.code, status.reason.as_str()), (404, "NotFound"));
    assert_eq!(status.message, "configmaps \"missing\" not found");

    let elsewhere = Api::<ConfigMap>::namespaced(client(&fake), "nowhere");
    let created = elsewhere
        .create(&PostParams::default(), &config_map("x", json!({})))
        .await;
    assert_eq!(
        api_status(created.unwrap_err()).message,
        "namespaces \"nowhere\" not found"
    );
}

#[tokio::test]
async fn a_replace_with_a_stale_resource_version_is_409_conflict() {
    let fake = FakeKube::start().await;
    let api = Api::<ConfigMap>::namespaced(client(&fake), "default");
    let first = api
        .create(&PostParams::default(), &config_map("cm", json!({})))
        .await
        .unwrap();
    let mut newer = first.clone();
    newer.data = Some([("key".to_owned(), "newer".to_owned())].into());
    let newer = api
        .replace("cm", &PostParams::default(), &newer)
        .await
        .unwrap();
    assert_ne!(
        newer.metadata.resource_version,
        first.metadata.resource_version
    );

    let mut stale = first;
    stale.data = Some([("key".to_owned(), "stale".to_owned())].into());
    let status = api_status(
        api.replace("cm", &PostParams::default(), &stale)
            .await
            .unwrap_err(),
    );
    assert_eq!((status.code, status.reason.as_str()), (409, "Conflict"));
    assert_eq!(
        fake.get("configmaps", Some("default"), "cm").unwrap()["data"]["key"],
        "newer"
    );
}

#[tokio::test]
async fn server_side_apply_creates_then_merges_and_records_the_field_manager() {
    let fake = FakeKube::start().await;
    let api = Api::<ConfigMap>::namespaced(client(&fake), "default");
    let params = PatchParams::apply("codex-k8s").force();
    let applied = json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "cfg" },
                          "data": { "a": "1" } });
    let created = api
        .patch("cfg", &params, &Patch::Apply(&applied))
        .await
        .unwrap();
    assert_eq!(created.data.unwrap()["a"], "1");

    let update = json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "cfg", "labels": { "l": "v" } },
                         "data": { "b": "2" } });
    let updated = api
        .patch("cfg", &params, &Patch::Apply(&update))
        .await
        .unwrap();
    let data = updated.data.unwrap();
    assert_eq!((data["a"].as_str(), data["b"].as_str()), ("1", "2"));
    assert_eq!(updated.metadata.labels.unwrap()["l"], "v");
    let managers = updated.metadata.managed_fields.unwrap();
    assert_eq!(managers.len(), 1);
    assert_eq!(managers[0].manager.as_deref(), Some("codex-k8s"));
    assert_eq!(managers[0].operation.as_deref(), Some("Apply"));

    let patches: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == http::Method::PATCH)
        .collect();
    assert_eq!(patches.len(), 2);
    assert_eq!(patches[0].field_manager.as_deref(), Some("codex-k8s"));
    assert_eq!(
        patches[0].content_type.as_deref(),
        Some("application/apply-patch+yaml")
    );

    let unmanaged = api
        .patch("cfg", &PatchParams::default(), &Patch::Apply(&update))
        .await;
    assert_eq!(api_status(unmanaged.unwrap_err()).code, 422);
}

#[tokio::test]
async fn merge_and_json_patches_change_the_stored_object() {
    let fake = FakeKube::start().await;
    let api = Api::<ConfigMap>::namespaced(client(&fake), "default");
    api.create(
        &PostParams::default(),
        &config_map("p", json!({ "x": "1" })),
    )
    .await
    .unwrap();
    let merge =
        json!({ "metadata": { "labels": { "x": null, "y": "2" } }, "data": { "more": "m" } });
    api.patch("p", &PatchParams::default(), &Patch::Merge(&merge))
        .await
        .unwrap();
    let operations = serde_json::from_value(json!([
        { "op": "replace", "path": "/data/key", "value": "replaced" },
        { "op": "remove", "path": "/data/more" }
    ]))
    .unwrap();
    let patched = api
        .patch("p", &PatchParams::default(), &Patch::<()>::Json(operations))
        .await
        .unwrap();
    assert_eq!(
        patched.metadata.labels.unwrap(),
        [("y".to_owned(), "2".to_owned())].into()
    );
    assert_eq!(
        patched.data.unwrap(),
        [("key".to_owned(), "replaced".to_owned())].into()
    );
}

#[tokio::test]
async fn dry_run_all_stores_nothing_and_emits_no_events() {
    let fake = FakeKube::start().await;
    let api = Api::<ConfigMap>::namespaced(client(&fake), "default");
    let dry = PostParams {
        dry_run: true,
        ..PostParams::default()
    };
    let answered = api
        .create(&dry, &config_map("dry", json!({})))
        .await
        .unwrap();
    assert_eq!(answered.metadata.name.as_deref(), Some("dry"));
    assert!(fake.get("configmaps", Some("default"), "dry").is_none());

    api.create(&PostParams::default(), &config_map("kept", json!({})))
        .await
        .unwrap();
    let before = fake.get("configmaps", Some("default"), "kept").unwrap();
    let patch = json!({ "data": { "key": "changed" } });
    let params = PatchParams {
        dry_run: true,
        ..PatchParams::default()
    };
    let answered = api
        .patch("kept", &params, &Patch::Merge(&patch))
        .await
        .unwrap();
    assert_eq!(answered.data.unwrap()["key"], "changed");
    let delete = DeleteParams {
        dry_run: true,
        ..DeleteParams::default()
    };
    api.delete("kept", &delete).await.unwrap();
    assert_eq!(
        fake.get("configmaps", Some("default"), "kept").unwrap(),
        before
    );

    let jobs = Api::<Job>::namespaced(client(&fake), "default");
    jobs.create(&dry, &job("dry-job")).await.unwrap();
    assert!(fake.list("jobs", None).is_empty() && fake.list("pods", None).is_empty());
    let writes = fake.requests();
    let writes: Vec<_> = writes
        .iter()
        .filter(|r| r.method != http::Method::GET)
        .collect();
    let flags: Vec<bool> = writes.iter().map(|r| r.dry_run).collect();
    assert_eq!(flags, [true, false, true, true, true], "{writes:#?}");

    // No events either: a watch from before the dry runs sees the next real write first.
    let since = before["metadata"]["resourceVersion"].as_str().unwrap();
    let watch = kube::api::WatchParams::default();
    let mut stream = api.watch(&watch, since).await.unwrap().boxed();
    fake.insert("configmaps", json!({ "metadata": { "name": "marker" } }));
    match stream.next().await {
        Some(Ok(kube::core::WatchEvent::Added(added))) => {
            assert_eq!(added.metadata.name.as_deref(), Some("marker"));
        }
        other => panic!("expected the marker's ADDED event, got {other:?}"),
    }
}

fn job(name: &str) -> Job {
    serde_json::from_value(json!({
        "metadata": { "name": name },
        "spec": { "template": {
            "metadata": { "labels": { "app": "agent" } },
            "spec": { "restartPolicy": "Never", "containers": [{ "name": "agent", "image": "busybox" }] }
        } }
    }))
    .unwrap()
}

#[tokio::test]
async fn deleting_a_namespace_deletes_what_is_in_it() {
    let fake = FakeKube::start().await;
    let client = client(&fake);
    create_namespace(&client, "doomed").await;
    let api = Api::<ConfigMap>::namespaced(client.clone(), "doomed");
    api.create(&PostParams::default(), &config_map("inside", json!({})))
        .await
        .unwrap();
    Api::<ConfigMap>::namespaced(client.clone(), "default")
        .create(&PostParams::default(), &config_map("outside", json!({})))
        .await
        .unwrap();

    Api::<Namespace>::all(client)
        .delete("doomed", &DeleteParams::default())
        .await
        .unwrap();
    assert!(fake.get("namespaces", None, "doomed").is_none());
    assert!(fake.list("configmaps", Some("doomed")).is_empty());
    assert!(fake.get("configmaps", Some("default"), "outside").is_some());
}

#[tokio::test]
async fn a_new_job_gets_a_pending_pod_that_background_deletion_removes() {
    let fake = FakeKube::start().await;
    let jobs = Api::<Job>::namespaced(client(&fake), "default");
    let created = jobs
        .create(&PostParams::default(), &job("run-1"))
        .await
        .unwrap();
    let uid = created.metadata.uid.unwrap();

    let pods = fake.list("pods", Some("default"));
    assert_eq!(pods.len(), 1);
    let pod = &pods[0];
    let name = pod["metadata"]["name"].as_str().unwrap();
    let suffix = name.strip_prefix("run-1-").unwrap();
    assert!(
        suffix.len() == 5 && suffix.chars().all(|c| c.is_ascii_lowercase()),
        "{name}"
    );
    let labels = &pod["metadata"]["labels"];
    assert_eq!(
        (labels["app"].as_str(), labels["job-name"].as_str()),
        (Some("agent"), Some("run-1"))
    );
    assert_eq!(labels["batch.kubernetes.io/job-name"], "run-1");
    assert_eq!(labels["controller-uid"], uid.as_str());
    assert_eq!(pod["metadata"]["ownerReferences"][0]["uid"], uid.as_str());
    assert_eq!(pod["status"]["phase"], "Pending");
    let by_label = Api::<Pod>::namespaced(client(&fake), "default")
        .list(&ListParams::default().labels("job-name=run-1"))
        .await
        .unwrap();
    assert_eq!(by_label.items.len(), 1);

    jobs.delete("run-1", &DeleteParams::background())
        .await
        .unwrap();
    assert!(fake.list("jobs", None).is_empty() && fake.list("pods", None).is_empty());
}

#[tokio::test]
async fn the_watcher_sees_a_status_set_by_the_test() {
    let fake = FakeKube::start().await;
    fake.insert(
        "pods",
        json!({ "metadata": { "name": "p" }, "spec": { "containers": [] },
                                "status": { "phase": "Pending" } }),
    );
    let api = Api::<Pod>::namespaced(client(&fake), "default");
    let mut events = watcher(api, watcher::Config::default()).boxed();
    let first = next_matching(&mut events, |e| pod_phase(e, "p")).await;
    assert_eq!(first, "Pending");

    fake.set_status("pods", Some("default"), "p", json!({ "phase": "Running" }));
    let next = next_matching(&mut events, |e| pod_phase(e, "p")).await;
    assert_eq!(next, "Running");
}

#[tokio::test]
async fn the_watcher_lists_again_after_compaction_and_a_broken_watch() {
    let fake = FakeKube::start().await;
    fake.insert(
        "pods",
        json!({ "metadata": { "name": "p" }, "status": { "phase": "Pending" } }),
    );
    let api = Api::<Pod>::namespaced(client(&fake), "default");
    let mut events = watcher(api, watcher::Config::default())
        .default_backoff()
        .boxed();
    // The watcher only moves when polled: drive it in its own task and pass the phases on.
    let (sender, mut phases) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        while let Some(event) = events.next().await {
            if let Some(phase) = pod_phase(event, "p") {
                let _ = sender.send(phase);
            }
        }
    });
    let mut next_phase = async || {
        let phase = tokio::time::timeout(WAIT, phases.recv()).await;
        phase
            .expect("timed out waiting on the watcher")
            .expect("the watcher ended")
    };
    let count = |fake: &FakeKube, watch: bool| {
        fake.requests()
            .iter()
            .filter(|r| r.path == "/api/v1/namespaces/default/pods" && r.is_watch() == watch)
            .count()
    };
    assert_eq!(next_phase().await, "Pending");
    wait_until(|| count(&fake, true) == 1).await;
    assert_eq!(count(&fake, false), 1);

    fake.compact();
    fake.break_watches();
    // The resumed watch gets 410 Expired, so the watcher lists again and watches from there.
    wait_until(|| count(&fake, false) == 2 && count(&fake, true) == 3).await;
    assert_eq!(next_phase().await, "Pending");
    fake.set_status(
        "pods",
        Some("default"),
        "p",
        json!({ "phase": "Succeeded" }),
    );
    assert_eq!(next_phase().await, "Succeeded");
    driver.abort();
}

#[tokio::test]
async fn a_watch_from_a_compacted_version_gets_410_expired() {
    let fake = FakeKube::start().await;
    let api = Api::<ConfigMap>::namespaced(client(&fake), "default");
    let version = api
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    fake.compact();
    let mut stream = api
        .watch(&kube::api::WatchParams::default(), &version)
        .await
        .unwrap()
        .boxed();
    match stream.next().await {
        Some(Ok(kube::core::WatchEvent::Error(status))) => {
            assert_eq!((status.code, status.reason.as_str()), (410, "Expired"));
        }
        other => panic!("expected a 410 ERROR event, got {other:?}"),
    }
}

#[tokio::test]
async fn the_scale_subresource_reads_and_writes_spec_replicas() {
    let fake = FakeKube::start().await;
    let api = Api::<Deployment>::namespaced(client(&fake), "default");
    let deployment: Deployment = serde_json::from_value(json!({
        "metadata": { "name": "web" },
        "spec": {
            "selector": { "matchLabels": { "app": "web" } },
            "template": { "metadata": { "labels": { "app": "web" } },
                          "spec": { "containers": [{ "name": "web", "image": "nginx" }] } }
        }
    }))
    .unwrap();
    let created = api
        .create(&PostParams::default(), &deployment)
        .await
        .unwrap();
    assert_eq!(created.spec.unwrap().replicas, Some(1));
    assert_eq!(
        api.get_scale("web").await.unwrap().spec.unwrap().replicas,
        Some(1)
    );

    let patch = json!({ "spec": { "replicas": 0 } });
    let scale = api
        .patch_scale("web", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    assert_eq!(scale.spec.unwrap().replicas, Some(0));
    assert_eq!(scale.status.unwrap().selector.as_deref(), Some("app=web"));
    let stored = fake.get("deployments", Some("default"), "web").unwrap();
    assert_eq!(stored["spec"]["replicas"], 0);
    assert_eq!(stored["metadata"]["generation"], 2);
}

#[tokio::test]
async fn pod_logs_honour_tail_lines() {
    let fake = FakeKube::start().await;
    fake.insert(
        "pods",
        json!({ "metadata": { "name": "agent", "namespace": "default" } }),
    );
    fake.set_pod_log("default", "agent", "one\ntwo\nthree\n");
    let api = Api::<Pod>::namespaced(client(&fake), "default");
    assert_eq!(
        api.logs("agent", &LogParams::default()).await.unwrap(),
        "one\ntwo\nthree\n"
    );
    let tail = LogParams {
        tail_lines: Some(2),
        ..LogParams::default()
    };
    assert_eq!(api.logs("agent", &tail).await.unwrap(), "two\nthree\n");
    assert_eq!(
        api_status(api.logs("other", &tail).await.unwrap_err()).code,
        404
    );
}

#[tokio::test]
async fn an_injected_failure_answers_one_request_with_a_status() {
    let fake = FakeKube::start().await;
    let api = Api::<ConfigMap>::namespaced(client(&fake), "default");
    fake.fail_next(
        http::Method::POST,
        "/api/v1/namespaces/default/configmaps",
        500,
    );
    let failed = api
        .create(&PostParams::default(), &config_map("c", json!({})))
        .await;
    let status = api_status(failed.unwrap_err());
    assert_eq!(
        (status.code, status.reason.as_str()),
        (500, "InternalError")
    );
    api.create(&PostParams::default(), &config_map("c", json!({})))
        .await
        .unwrap();
}

const MANIFEST: &str = "\
apiVersion: v1
kind: Namespace
metadata:
  name: team
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: team
  labels: { app: web }
data:
  mode: one
";

#[tokio::test]
async fn kubectl_applies_gets_and_deletes() {
    let fake = FakeKube::start().await;
    let kubectl = Kubectl::new(&fake);
    let manifest = kubectl.write("manifest.yaml", MANIFEST);
    let applied = kubectl.run(&["apply", "-f", path_str(&manifest)]).await;
    assert!(
        applied.contains("namespace/team created")
            && applied.contains("configmap/settings created"),
        "{applied}"
    );
    assert_eq!(
        fake.get("configmaps", Some("team"), "settings").unwrap()["data"]["mode"],
        "one"
    );

    let changed = kubectl.write("changed.yaml", &MANIFEST.replace("mode: one", "mode: two"));
    let applied = kubectl.run(&["apply", "-f", path_str(&changed)]).await;
    assert!(
        applied.contains("configmap/settings configured"),
        "{applied}"
    );
    let stored = fake.get("configmaps", Some("team"), "settings").unwrap();
    assert_eq!(stored["data"]["mode"], "two");
    assert!(
        stored["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
            .is_string()
    );

    let listed = kubectl
        .run(&[
            "get",
            "configmaps",
            "-n",
            "team",
            "-l",
            "app=web",
            "-o",
            "name",
        ])
        .await;
    assert_eq!(listed.trim(), "configmap/settings");
    let json: Value =
        serde_json::from_str(&kubectl.run(&["get", "ns", "team", "-o", "json"]).await).unwrap();
    assert_eq!(json["status"]["phase"], "Active");
    let missing = kubectl
        .output(&["get", "configmap", "nope", "-n", "team"])
        .await;
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("configmaps \"nope\" not found"));

    let deleted = kubectl
        .run(&["delete", "configmap", "settings", "-n", "team"])
        .await;
    assert!(
        deleted.contains("configmap \"settings\" deleted"),
        "{deleted}"
    );
    assert!(fake.get("configmaps", Some("team"), "settings").is_none());
}

#[tokio::test]
async fn kubectl_server_dry_run_stores_nothing() {
    let fake = FakeKube::start().await;
    let kubectl = Kubectl::new(&fake);
    // As on a real cluster, a dry-run namespace does not exist for the objects after it.
    let manifest = kubectl.write(
        "manifest.yaml",
        &MANIFEST.replace("namespace: team", "namespace: default"),
    );
    let args = ["apply", "--dry-run=server", "-f", path_str(&manifest)];
    let answered = kubectl.run(&args).await;
    assert!(
        answered.contains("namespace/team created (server dry run)")
            && answered.contains("configmap/settings created (server dry run)"),
        "{answered}"
    );
    assert!(fake.get("namespaces", None, "team").is_none());
    assert!(
        fake.get("configmaps", Some("default"), "settings")
            .is_none()
    );
    let creates: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == http::Method::POST)
        .collect();
    assert_eq!(creates.len(), 2, "{creates:#?}");
    assert!(creates.iter().all(|r| r.dry_run), "{creates:#?}");
}

#[tokio::test]
async fn kubectl_get_watch_prints_a_status_change() {
    let fake = FakeKube::start().await;
    fake.insert(
        "pods",
        json!({ "metadata": { "name": "agent" }, "status": { "phase": "Pending" } }),
    );
    let kubectl = Kubectl::new(&fake);
    let mut child = kubectl
        .command(&[
            "get",
            "pod",
            "agent",
            "--watch",
            "-o",
            "jsonpath={.status.phase}{\"\\n\"}",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (sender, mut lines) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let mut next_line = async || {
        let line = tokio::time::timeout(WAIT, lines.recv()).await;
        line.expect("timed out reading kubectl")
            .expect("kubectl ended")
    };
    assert_eq!(next_line().await, "Pending");
    wait_until(|| {
        fake.requests()
            .iter()
            .any(|r| r.path.ends_with("/pods") && r.is_watch())
    })
    .await;

    fake.set_status(
        "pods",
        Some("default"),
        "agent",
        json!({ "phase": "Running" }),
    );
    assert_eq!(next_line().await, "Running");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn a_watch_with_bookmarks_gets_them_and_streaming_lists_end_their_initial_events() {
    let fake = FakeKube::start().await;
    fake.insert("pods", json!({ "metadata": { "name": "p" } }));
    let api = Api::<Pod>::namespaced(client(&fake), "default");
    let params = kube::api::WatchParams::default();
    let version = api
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version;
    let mut stream = api
        .watch(&params, &version.clone().unwrap())
        .await
        .unwrap()
        .boxed();
    let bookmark = next_matching(&mut stream, |event| match event {
        Ok(kube::core::WatchEvent::Bookmark(bookmark)) => Some(bookmark),
        _ => None,
    })
    .await;
    assert_eq!(Some(bookmark.metadata.resource_version), version);
    assert_eq!(bookmark.types.kind, "Pod");

    let config = watcher::Config::default().streaming_lists();
    let mut events = watcher(api, config).boxed();
    let mut initial = Vec::new();
    next_matching(&mut events, |event| match event.unwrap() {
        watcher::Event::InitApply(pod) => {
            initial.extend(pod.metadata.name);
            None
        }
        watcher::Event::InitDone => Some(()),
        _ => None,
    })
    .await;
    assert_eq!(initial, ["p"]);
    assert!(fake.requests().iter().any(|r| {
        r.query
            .as_deref()
            .is_some_and(|q| q.contains("sendInitialEvents=true"))
    }));
}

#[tokio::test]
async fn status_writes_go_through_the_status_subresource_only() {
    let fake = FakeKube::start().await;
    let jobs = Api::<Job>::namespaced(client(&fake), "default");
    jobs.create(&PostParams::default(), &job("j"))
        .await
        .unwrap();
    let status = json!({ "status": { "active": 1 }, "spec": { "parallelism": 5 } });
    let patched = jobs
        .patch_status("j", &PatchParams::default(), &Patch::Merge(&status))
        .await
        .unwrap();
    assert_eq!(patched.status.unwrap().active, Some(1));
    assert_eq!(patched.spec.unwrap().parallelism, Some(1));

    let main = json!({ "status": { "active": 7 }, "metadata": { "labels": { "seen": "yes" } } });
    let patched = jobs
        .patch("j", &PatchParams::default(), &Patch::Merge(&main))
        .await
        .unwrap();
    assert_eq!(patched.status.unwrap().active, Some(1));
    assert_eq!(patched.metadata.labels.unwrap()["seen"], "yes");
}
