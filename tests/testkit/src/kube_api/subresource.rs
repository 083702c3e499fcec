//! The subresources: `status` (of types that have one), `pods/log` and `deployments/scale`.

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::admission::prepare_update;
use super::crud;
use super::patch::Kind;
use super::routes::Call;
use super::status::{Failure, json_response};

pub(super) fn serve(
    call: &Call<'_>,
    namespace: Option<&str>,
    name: &str,
    sub: &str,
) -> Result<Response, Failure> {
    match (sub, call.resource.plural, call.method) {
        ("status", _, &Method::GET) if call.resource.has_status => crud::get(call, namespace, name),
        ("status", _, &Method::PUT) if call.resource.has_status => {
            crud::replace(call, namespace, name, true)
        }
        ("status", _, &Method::PATCH) if call.resource.has_status => {
            crud::patch(call, namespace, name, true)
        }
        ("log", "pods", &Method::GET) => log(call, namespace.unwrap_or_default(), name),
        ("scale", "deployments", &Method::GET | &Method::PUT | &Method::PATCH) => {
            scale(call, namespace, name)
        }
        ("status" | "log" | "scale", _, _)
            if call.resource.subresources().iter().any(|s| s.0 == sub) =>
        {
            Err(Failure::method_not_allowed())
        }
        _ => Err(Failure::no_route()),
    }
}

/// The pod's log text (set by `FakeKube::set_pod_log`), the last `tailLines` lines when asked.
fn log(call: &Call<'_>, namespace: &str, name: &str) -> Result<Response, Failure> {
    let store = call.shared.store();
    if store.get(call.resource, Some(namespace), name).is_none() {
        return Err(Failure::not_found(call.resource, name));
    }
    let text = store.log(namespace, name);
    let text = match call.params.tail_lines {
        Some(n) => {
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            lines[lines.len().saturating_sub(n)..].concat()
        }
        None => text,
    };
    let mut response = (StatusCode::OK, text).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    Ok(response)
}

/// The `autoscaling/v1` `Scale` of a deployment.
fn scale_of(deployment: &Value) -> Value {
    let meta = &deployment["metadata"];
    let selector: Vec<String> = deployment["spec"]["selector"]["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(key, value)| format!("{key}={}", value.as_str().unwrap_or_default()))
        .collect();
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta["name"],
            "namespace": meta["namespace"],
            "uid": meta["uid"],
            "resourceVersion": meta["resourceVersion"],
            "creationTimestamp": meta["creationTimestamp"],
        },
        "spec": { "replicas": deployment["spec"]["replicas"] },
        "status": {
            "replicas": deployment["status"]["replicas"].as_i64().unwrap_or(0),
            "selector": selector.join(","),
        },
    })
}

fn scale(call: &Call<'_>, namespace: Option<&str>, name: &str) -> Result<Response, Failure> {
    let patch = match *call.method {
        Method::PATCH => {
            let kind = crud::patch_kind(call)?;
            Some((kind, crud::patch_body(call, kind)?))
        }
        _ => None,
    };
    let replacement = match *call.method {
        Method::PUT => Some(call.json_body()?),
        _ => None,
    };
    let mut store = call.shared.store();
    let old = store
        .get(call.resource, namespace, name)
        .cloned()
        .ok_or_else(|| Failure::not_found(call.resource, name))?;
    let current = scale_of(&old);
    let mut operation = "Update";
    let target = match (patch, replacement) {
        (Some((kind, body)), _) => {
            if kind == Kind::Apply {
                operation = "Apply";
            }
            let mut target = current;
            crud::apply_patch(kind, &mut target, &body)?;
            target
        }
        (None, Some(body)) => body,
        (None, None) => return Ok(json_response(StatusCode::OK, &current)),
    };
    if let Some(given) = target["metadata"]["resourceVersion"].as_str()
        && !given.is_empty()
        && old["metadata"]["resourceVersion"] != given
    {
        return Err(Failure::conflict(call.resource, name));
    }
    let Some(replicas) = target["spec"]["replicas"].as_i64().filter(|n| *n >= 0) else {
        return Err(Failure::invalid(
            call.resource,
            name,
            "spec.replicas",
            "Invalid value: must be greater than or equal to 0",
        ));
    };
    let mut deployment = old.clone();
    deployment["spec"]["replicas"] = json!(replicas);
    let updated = prepare_update(call.resource, &old, deployment, false)?;
    let written = json!({ "spec": { "replicas": replicas } });
    let stored = crud::write_update(call, &mut store, &old, updated, operation, &written);
    Ok(json_response(StatusCode::OK, &scale_of(&stored)))
}
