//! Create, get, list, replace, patch and delete, with `dryRun=All` on every write.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::admission::{self, prepare_create, prepare_update};
use super::controller;
use super::patch::{self, Kind};
use super::routes::Call;
use super::selectors::Selector;
use super::status::{Failure, json_response};
use super::store::Store;

pub(super) fn get(
    call: &Call<'_>,
    namespace: Option<&str>,
    name: &str,
) -> Result<Response, Failure> {
    let store = call.shared.store();
    let object = store
        .get(call.resource, namespace, name)
        .ok_or_else(|| Failure::not_found(call.resource, name))?;
    Ok(json_response(StatusCode::OK, object))
}

/// The selectors of a list, watch or collection delete.
pub(super) fn selector(call: &Call<'_>) -> Result<Selector, Failure> {
    Selector::parse(
        call.params.label_selector.as_deref(),
        call.params.field_selector.as_deref(),
    )
    .map_err(Failure::bad_request)
}

fn list_document(call: &Call<'_>, revision: u64, items: Vec<Value>) -> Value {
    json!({
        "kind": format!("{}List", call.resource.kind),
        "apiVersion": call.resource.api_version(),
        "metadata": { "resourceVersion": revision.to_string() },
        "items": items,
    })
}

pub(super) fn list(call: &Call<'_>, namespace: Option<&str>) -> Result<Response, Failure> {
    let selector = selector(call)?;
    let store = call.shared.store();
    let items: Vec<Value> = store
        .list(call.resource, namespace)
        .into_iter()
        .filter(|object| selector.matches(object))
        .collect();
    let document = list_document(call, store.revision(), items);
    Ok(json_response(StatusCode::OK, &document))
}

pub(super) fn create(call: &Call<'_>, namespace: Option<&str>) -> Result<Response, Failure> {
    let body = call.json_body()?;
    let mut store = call.shared.store();
    let created = create_in(call, &mut store, namespace, body, "Update")?;
    Ok(json_response(StatusCode::CREATED, &created))
}

/// Creates `body` (or, with `dryRun`, only checks it), recording the manager's `operation`.
fn create_in(
    call: &Call<'_>,
    store: &mut Store,
    namespace: Option<&str>,
    body: Value,
    operation: &str,
) -> Result<Value, Failure> {
    if let Some(namespace) = namespace.filter(|_| call.resource.namespaced)
        && !store.has_namespace(namespace)
    {
        return Err(Failure::namespace_not_found(namespace));
    }
    let mut object = prepare_create(call.resource, body.clone(), namespace)?;
    let name = object["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if store.get(call.resource, namespace, &name).is_some() {
        return Err(Failure::already_exists(call.resource, &name));
    }
    admission::record_manager(&mut object, &call.manager(), operation, &body);
    if call.params.dry_run {
        return Ok(object);
    }
    let stored = store.create(call.resource, object);
    if call.resource.plural == "jobs" {
        controller::start_job(store, &stored);
    }
    Ok(stored)
}

/// Fails with 409 when `object` names a resource version other than `current`'s.
fn check_version(call: &Call<'_>, current: &Value, object: &Value) -> Result<(), Failure> {
    match object["metadata"]["resourceVersion"].as_str() {
        Some(given) if !given.is_empty() && current["metadata"]["resourceVersion"] != given => {
            let name = current["metadata"]["name"].as_str().unwrap_or_default();
            Err(Failure::conflict(call.resource, name))
        }
        _ => Ok(()),
    }
}

/// Stores `updated` as the new state of `old` (or, with `dryRun`, only returns it).
pub(super) fn write_update(
    call: &Call<'_>,
    store: &mut Store,
    old: &Value,
    mut updated: Value,
    operation: &str,
    written: &Value,
) -> Value {
    if updated["metadata"]["managedFields"].is_null() && !old["metadata"]["managedFields"].is_null()
    {
        updated["metadata"]["managedFields"] = old["metadata"]["managedFields"].clone();
    }
    admission::record_manager(&mut updated, &call.manager(), operation, written);
    updated["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"].clone();
    if call.params.dry_run {
        return updated;
    }
    store.update(call.resource, updated)
}

pub(super) fn replace(
    call: &Call<'_>,
    namespace: Option<&str>,
    name: &str,
    status_only: bool,
) -> Result<Response, Failure> {
    let body = call.json_body()?;
    let mut store = call.shared.store();
    let old = store
        .get(call.resource, namespace, name)
        .cloned()
        .ok_or_else(|| Failure::not_found(call.resource, name))?;
    check_version(call, &old, &body)?;
    let updated = prepare_update(call.resource, &old, body.clone(), status_only)?;
    let stored = write_update(call, &mut store, &old, updated, "Update", &body);
    Ok(json_response(StatusCode::OK, &stored))
}

/// The patch body: YAML (JSON is YAML) for apply, JSON otherwise.
pub(super) fn patch_body(call: &Call<'_>, kind: Kind) -> Result<Value, Failure> {
    if kind == Kind::Apply {
        serde_yaml_ng::from_slice(call.body)
            .map_err(|e| Failure::bad_request(format!("the apply body is not YAML: {e}")))
    } else {
        call.json_body()
    }
}

/// The patch type of the request, or 415.
pub(super) fn patch_kind(call: &Call<'_>) -> Result<Kind, Failure> {
    let content_type = call.content_type.unwrap_or_default();
    let kind = Kind::from_content_type(content_type).ok_or_else(|| {
        Failure::new(
            415,
            "UnsupportedMediaType",
            format!("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {content_type:?})"),
        )
    })?;
    if kind == Kind::Apply
        && call
            .params
            .field_manager
            .as_deref()
            .is_none_or(str::is_empty)
    {
        return Err(Failure::new(
            422,
            "Invalid",
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
        ));
    }
    Ok(kind)
}

/// `target` with the patch applied.
pub(super) fn apply_patch(kind: Kind, target: &mut Value, body: &Value) -> Result<(), Failure> {
    match kind {
        Kind::Merge => patch::merge(target, body),
        Kind::Strategic | Kind::Apply => patch::strategic(target, body),
        Kind::Json => patch::json_patch(target, body)
            .map_err(|problem| Failure::new(422, "Invalid", problem))?,
    }
    Ok(())
}

pub(super) fn patch(
    call: &Call<'_>,
    namespace: Option<&str>,
    name: &str,
    status_only: bool,
) -> Result<Response, Failure> {
    let kind = patch_kind(call)?;
    let body = patch_body(call, kind)?;
    let mut store = call.shared.store();
    let Some(old) = store.get(call.resource, namespace, name).cloned() else {
        if kind != Kind::Apply || status_only {
            return Err(Failure::not_found(call.resource, name));
        }
        let mut object = body;
        match object["metadata"]["name"].as_str() {
            Some(given) if given != name => {
                return Err(Failure::bad_request(format!(
                    "the name of the object ({given}) does not match the name on the URL ({name})"
                )));
            }
            _ => object["metadata"]["name"] = json!(name),
        }
        let created = create_in(call, &mut store, namespace, object, "Apply")?;
        return Ok(json_response(StatusCode::CREATED, &created));
    };
    let mut patched = old.clone();
    apply_patch(kind, &mut patched, &body)?;
    check_version(call, &old, &patched)?;
    let updated = prepare_update(call.resource, &old, patched, status_only)?;
    let operation = if kind == Kind::Apply {
        "Apply"
    } else {
        "Update"
    };
    let written = if kind == Kind::Json { json!({}) } else { body };
    let stored = write_update(call, &mut store, &old, updated, operation, &written);
    Ok(json_response(StatusCode::OK, &stored))
}

/// Deletes one object by the request's propagation policy; the deleted object (or, with
/// finalizers, the object now marked for deletion).
fn delete_in(call: &Call<'_>, store: &mut Store, old: Value) -> Result<Value, Failure> {
    let options: Value = serde_json::from_slice(call.body).unwrap_or(Value::Null);
    let meta = &old["metadata"];
    let name = meta["name"].as_str().unwrap_or_default().to_owned();
    for field in ["uid", "resourceVersion"] {
        if let Some(wanted) = options["preconditions"][field].as_str()
            && meta[field] != wanted
        {
            return Err(Failure::conflict(call.resource, &name));
        }
    }
    if call.params.dry_run {
        return Ok(old);
    }
    let has_finalizers = meta["finalizers"].as_array().is_some_and(|f| !f.is_empty());
    if has_finalizers {
        if !meta["deletionTimestamp"].is_null() {
            return Ok(old);
        }
        let mut marked = old;
        marked["metadata"]["deletionTimestamp"] = json!(admission::now());
        return Ok(store.update(call.resource, marked));
    }
    // Jobs orphan their pods unless told otherwise, for compatibility; everything else cascades.
    let default_policy = if call.resource.plural == "jobs" {
        "Orphan"
    } else {
        "Background"
    };
    let policy = call
        .params
        .propagation_policy
        .as_deref()
        .unwrap_or(default_policy);
    let namespace = meta["namespace"].as_str().map(str::to_owned);
    let removed = store.remove(
        call.resource,
        namespace.as_deref(),
        &name,
        policy != "Orphan",
    );
    Ok(removed.unwrap_or(Value::Null))
}

pub(super) fn delete(
    call: &Call<'_>,
    namespace: Option<&str>,
    name: &str,
) -> Result<Response, Failure> {
    let mut store = call.shared.store();
    let old = store
        .get(call.resource, namespace, name)
        .cloned()
        .ok_or_else(|| Failure::not_found(call.resource, name))?;
    let deleted = delete_in(call, &mut store, old)?;
    Ok(json_response(StatusCode::OK, &deleted))
}

pub(super) fn delete_collection(
    call: &Call<'_>,
    namespace: Option<&str>,
) -> Result<Response, Failure> {
    let selector = selector(call)?;
    let mut store = call.shared.store();
    let doomed: Vec<Value> = store
        .list(call.resource, namespace)
        .into_iter()
        .filter(|object| selector.matches(object))
        .collect();
    let mut deleted = Vec::new();
    for old in doomed {
        deleted.push(delete_in(call, &mut store, old)?);
    }
    let document = list_document(call, store.revision(), deleted);
    Ok(json_response(StatusCode::OK, &document))
}
