//! The one controller the fake runs: a new Job gets one Pod from its template. Statuses are left
//! to the tests (`FakeKube::set_status`).

use serde_json::{Value, json};

use super::admission;
use super::resource;
use super::store::Store;

/// Creates the first Pod of a Job that was just stored.
pub(super) fn start_job(store: &mut Store, job: &Value) {
    let meta = &job["metadata"];
    let (Some(name), Some(namespace), Some(uid)) = (
        meta["name"].as_str(),
        meta["namespace"].as_str(),
        meta["uid"].as_str(),
    ) else {
        return;
    };
    let template = &job["spec"]["template"];
    let mut labels = template["metadata"]["labels"].clone();
    if !labels.is_object() {
        labels = json!({});
    }
    for (key, value) in [
        ("job-name", name),
        ("batch.kubernetes.io/job-name", name),
        ("controller-uid", uid),
        ("batch.kubernetes.io/controller-uid", uid),
    ] {
        labels[key] = json!(value);
    }
    let mut pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": format!("{name}-{}", admission::random_suffix()),
            "generateName": format!("{name}-"),
            "namespace": namespace,
            "labels": labels,
            "ownerReferences": [{
                "apiVersion": "batch/v1",
                "kind": "Job",
                "name": name,
                "uid": uid,
                "controller": true,
                "blockOwnerDeletion": true,
            }],
        },
        "spec": template["spec"].clone(),
        "status": { "phase": "Pending" },
    });
    if let Some(annotations) = template["metadata"]["annotations"].as_object() {
        pod["metadata"]["annotations"] = json!(annotations);
    }
    admission::stamp(&mut pod);
    pod["metadata"]["generation"] = json!(1);
    let pods = resource::by_plural("pods").expect("pods are served");
    store.create(pods, pod);
}
