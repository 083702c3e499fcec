//! What the API server does to an object before storing it: checks the type, namespace and name,
//! sets the system metadata, applies each type's defaults and keeps `managedFields`.

use base64::Engine;
use chrono::{SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use super::resource::Resource;
use super::status::Failure;

/// The label the API server puts on every namespace.
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// Now, as the API server writes timestamps.
pub(super) fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Five random lowercase letters, as in generated names.
pub(super) fn random_suffix() -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz";
    uuid::Uuid::new_v4().as_bytes()[..5]
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// A namespace as created by the API server at start-up.
pub(super) fn new_namespace(name: &str) -> Value {
    let mut object =
        json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": name } });
    stamp(&mut object);
    defaults_on_create(&super::resource::RESOURCES[0], &mut object);
    object
}

/// Sets `uid` and `creationTimestamp` when missing, as for an object someone else created.
pub(super) fn stamp(object: &mut Value) {
    let meta = &mut object["metadata"];
    if meta["uid"].as_str().is_none_or(str::is_empty) {
        meta["uid"] = json!(uuid::Uuid::new_v4().to_string());
    }
    if meta["creationTimestamp"].is_null() {
        meta["creationTimestamp"] = json!(now());
    }
}

/// Checks `kind` and `apiVersion` against the endpoint and fills them in when missing.
fn check_type(resource: &Resource, object: &mut Value) -> Result<(), Failure> {
    if !object.is_object() || !object["metadata"].is_object() && !object["metadata"].is_null() {
        return Err(Failure::bad_request("the body is not a Kubernetes object"));
    }
    let api_version = resource.api_version();
    for (field, wanted) in [
        ("apiVersion", api_version.as_str()),
        ("kind", resource.kind),
    ] {
        match object[field].as_str() {
            None | Some("") => object[field] = json!(wanted),
            Some(given) if given == wanted => {}
            Some(given) => {
                return Err(Failure::bad_request(format!(
                    "the API version in the data ({}/{given}) does not match the expected {field} ({wanted})",
                    object["apiVersion"].as_str().unwrap_or_default()
                )));
            }
        }
    }
    if object["metadata"].is_null() {
        object["metadata"] = json!({});
    }
    Ok(())
}

/// Checks the namespace against the path's and sets it (cluster-scoped types have none).
fn check_namespace(
    resource: &Resource,
    object: &mut Value,
    namespace: Option<&str>,
) -> Result<(), Failure> {
    let meta = object["metadata"]
        .as_object_mut()
        .expect("checked to be an object");
    if !resource.namespaced {
        meta.remove("namespace");
        return Ok(());
    }
    let namespace = namespace.unwrap_or_default();
    match meta.get("namespace").and_then(Value::as_str) {
        Some(given) if !given.is_empty() && given != namespace => Err(Failure::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        )),
        _ => {
            meta.insert("namespace".into(), json!(namespace));
            Ok(())
        }
    }
}

/// Whether `name` is a DNS-1123 subdomain, the rule for most object names.
fn valid_name(name: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    name.len() <= 253
        && edge(name.chars().next())
        && edge(name.chars().last())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
}

/// A new object as it will be stored: checked, named, stamped and defaulted; no version yet.
pub(super) fn prepare_create(
    resource: &Resource,
    mut object: Value,
    namespace: Option<&str>,
) -> Result<Value, Failure> {
    check_type(resource, &mut object)?;
    check_namespace(resource, &mut object, namespace)?;
    let meta = &mut object["metadata"];
    if meta["name"].as_str().is_none_or(str::is_empty) {
        match meta["generateName"].as_str() {
            Some(prefix) if !prefix.is_empty() => {
                meta["name"] = json!(format!("{prefix}{}", random_suffix()));
            }
            _ => {
                return Err(Failure::invalid(
                    resource,
                    "",
                    "metadata.name",
                    "Required value: name or generateName is required",
                ));
            }
        }
    }
    let name = meta["name"].as_str().unwrap_or_default().to_owned();
    if !valid_name(&name) {
        return Err(Failure::invalid(
            resource,
            &name,
            "metadata.name",
            "Invalid value: a lowercase RFC 1123 subdomain must consist of lower case \
             alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        ));
    }
    if let Some(meta) = meta.as_object_mut() {
        for field in [
            "resourceVersion",
            "deletionTimestamp",
            "uid",
            "creationTimestamp",
        ] {
            meta.remove(field);
        }
        if has_generation(resource) {
            meta.insert("generation".into(), json!(1));
        }
    }
    stamp(&mut object);
    defaults_on_create(resource, &mut object);
    defaults_on_write(resource, &mut object);
    Ok(object)
}

/// A replacement of `old` as it will be stored. With `status_only` (a write to the `status`
/// subresource) only the new status is taken; otherwise types with a status keep the old one.
pub(super) fn prepare_update(
    resource: &Resource,
    old: &Value,
    mut object: Value,
    status_only: bool,
) -> Result<Value, Failure> {
    check_type(resource, &mut object)?;
    check_namespace(resource, &mut object, old["metadata"]["namespace"].as_str())?;
    let name = old["metadata"]["name"].as_str().unwrap_or_default();
    match object["metadata"]["name"].as_str() {
        Some(given) if !given.is_empty() && given != name => {
            return Err(Failure::bad_request(format!(
                "the name of the object ({given}) does not match the name on the URL ({name})"
            )));
        }
        _ => object["metadata"]["name"] = json!(name),
    }
    if status_only {
        let mut updated = old.clone();
        updated["status"] = object["status"].take();
        return Ok(updated);
    }
    for field in [
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "generateName",
    ] {
        match &old["metadata"][field] {
            Value::Null => {
                if let Some(meta) = object["metadata"].as_object_mut() {
                    meta.remove(field);
                }
            }
            kept => object["metadata"][field] = kept.clone(),
        }
    }
    if resource.has_status {
        match &old["status"] {
            Value::Null => {
                if let Some(object) = object.as_object_mut() {
                    object.remove("status");
                }
            }
            kept => object["status"] = kept.clone(),
        }
    }
    defaults_on_write(resource, &mut object);
    if has_generation(resource) {
        let generation = old["metadata"]["generation"].as_i64().unwrap_or(1);
        let spec_changed = without_meta(old) != without_meta(&object);
        object["metadata"]["generation"] = json!(generation + i64::from(spec_changed));
    }
    Ok(object)
}

/// Whether the type counts changes of its desired state in `metadata.generation` (types with a
/// `spec`, not the data-only and binding types).
fn has_generation(resource: &Resource) -> bool {
    matches!(
        resource.plural,
        "pods" | "jobs" | "deployments" | "networkpolicies"
    )
}

fn without_meta(object: &Value) -> Map<String, Value> {
    let mut map = object.as_object().cloned().unwrap_or_default();
    for field in ["metadata", "status", "kind", "apiVersion"] {
        map.remove(field);
    }
    map
}

/// Each type's defaults for a new object, as the API server and its admission plugins set them.
fn defaults_on_create(resource: &Resource, object: &mut Value) {
    match resource.plural {
        "namespaces" => {
            let name = object["metadata"]["name"].clone();
            object["metadata"]["labels"][NAMESPACE_NAME_LABEL] = name;
            object["spec"] = json!({ "finalizers": ["kubernetes"] });
            object["status"] = json!({ "phase": "Active" });
        }
        "pods" => object["status"] = json!({ "phase": "Pending" }),
        "jobs" => {
            let uid = object["metadata"]["uid"].clone();
            let name = object["metadata"]["name"].clone();
            let spec = &mut object["spec"];
            for (field, default) in [
                ("backoffLimit", json!(6)),
                ("completions", json!(1)),
                ("parallelism", json!(1)),
                ("completionMode", json!("NonIndexed")),
                ("suspend", json!(false)),
            ] {
                if spec[field].is_null() {
                    spec[field] = default;
                }
            }
            if spec["selector"].is_null() {
                spec["selector"] =
                    json!({ "matchLabels": { "batch.kubernetes.io/controller-uid": uid } });
            }
            let labels = &mut spec["template"]["metadata"]["labels"];
            labels["batch.kubernetes.io/controller-uid"] = uid.clone();
            labels["batch.kubernetes.io/job-name"] = name.clone();
            labels["controller-uid"] = uid;
            labels["job-name"] = name;
            object["status"] = json!({});
        }
        _ if resource.has_status => object["status"] = json!({}),
        _ => {}
    }
}

/// Each type's defaults on every write.
fn defaults_on_write(resource: &Resource, object: &mut Value) {
    match resource.plural {
        "deployments" if object["spec"]["replicas"].is_null() => {
            object["spec"]["replicas"] = json!(1);
        }
        "secrets" => {
            if let Some(Value::Object(strings)) =
                object.as_object_mut().and_then(|o| o.remove("stringData"))
            {
                for (key, value) in strings {
                    let text = value.as_str().unwrap_or_default();
                    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
                    object["data"][key] = json!(encoded);
                }
            }
            if object["type"].is_null() {
                object["type"] = json!("Opaque");
            }
        }
        _ => {}
    }
}

/// Records that `manager` wrote the fields of `written` (`Apply` or `Update`), replacing its
/// earlier entry for the same operation.
pub(super) fn record_manager(object: &mut Value, manager: &str, operation: &str, written: &Value) {
    let entry = json!({
        "manager": manager,
        "operation": operation,
        "apiVersion": object["apiVersion"],
        "time": now(),
        "fieldsType": "FieldsV1",
        "fieldsV1": fields_of(written, true),
    });
    let managed = &mut object["metadata"]["managedFields"];
    if !managed.is_array() {
        *managed = json!([]);
    }
    let Some(entries) = managed.as_array_mut() else {
        return;
    };
    entries.retain(|e| !(e["manager"] == manager && e["operation"] == operation));
    entries.push(entry);
}

/// The `fieldsV1` set of a written object: `f:<field>` for every field, nested for maps.
fn fields_of(value: &Value, top: bool) -> Value {
    let Value::Object(map) = value else {
        return json!({});
    };
    let mut fields = Map::new();
    for (key, child) in map {
        if top && matches!(key.as_str(), "apiVersion" | "kind") {
            continue;
        }
        let child = if top && key == "metadata" {
            let mut meta = child.as_object().cloned().unwrap_or_default();
            meta.retain(|k, _| {
                matches!(
                    k.as_str(),
                    "labels" | "annotations" | "finalizers" | "ownerReferences"
                )
            });
            fields_of(&Value::Object(meta), false)
        } else {
            fields_of(child, false)
        };
        fields.insert(format!("f:{key}"), child);
    }
    Value::Object(fields)
}
