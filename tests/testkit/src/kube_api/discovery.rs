//! Discovery (`/api`, `/apis`, the resource lists), `/version` and the OpenAPI v3 index.
//!
//! kubectl 1.32 asks for aggregated discovery and falls back to these legacy documents when the
//! answer is plain `application/json`. Its `--validate=strict` default asks the OpenAPI v3
//! document of each group version whether `PATCH` takes `fieldValidation`; the documents here
//! describe each type's `PATCH` operation with that parameter and nothing else, so validation is
//! left to the server (which accepts `fieldValidation` and ignores it). The `PATCH` operations do
//! not list the strategic merge patch content type, so client-side `kubectl apply` builds its
//! patches from its compiled-in types. `/openapi/v2` is not served (404).

use serde_json::{Value, json};

use super::resource::{self, Resource};

/// The Kubernetes version the fake claims to be.
const GIT_VERSION: &str = "v1.33.0";
/// The hash in the OpenAPI index's URLs (clients cache documents by it).
const OPENAPI_HASH: &str = "fakekube0001";

/// `/version`.
pub(super) fn version() -> Value {
    json!({
        "major": "1",
        "minor": "33",
        "gitVersion": GIT_VERSION,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-04-23T00:00:00Z",
        "goVersion": "go1.24.2",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

/// `/api`.
pub(super) fn core_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{ "clientCIDR": "0.0.0.0/0", "serverAddress": server_address }],
    })
}

fn group_document(group: &str, version: &str) -> Value {
    let group_version = json!({ "groupVersion": format!("{group}/{version}"), "version": version });
    json!({
        "name": group,
        "versions": [group_version.clone()],
        "preferredVersion": group_version,
    })
}

/// `/apis`.
pub(super) fn groups() -> Value {
    let groups: Vec<Value> = resource::groups()
        .into_iter()
        .map(|(group, version)| group_document(group, version))
        .collect();
    json!({ "kind": "APIGroupList", "apiVersion": "v1", "groups": groups })
}

/// `/apis/{group}`, when served.
pub(super) fn group(name: &str) -> Option<Value> {
    let (group, version) = resource::groups().into_iter().find(|(g, _)| *g == name)?;
    let mut document = group_document(group, version);
    document["kind"] = json!("APIGroup");
    document["apiVersion"] = json!("v1");
    Some(document)
}

/// `/api/v1` or `/apis/{group}/{version}`, when served.
pub(super) fn resources(group: &str, version: &str) -> Option<Value> {
    let types = resource::of_group_version(group, version);
    if types.is_empty() {
        return None;
    }
    let mut listed = Vec::new();
    for r in types {
        let mut entry = json!({
            "name": r.plural,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": r.verbs(),
            "storageVersionHash": OPENAPI_HASH,
        });
        if !r.short_names.is_empty() {
            entry["shortNames"] = json!(r.short_names);
        }
        listed.push(entry);
        for (name, kind, verbs) in r.subresources() {
            let mut entry = json!({
                "name": format!("{}/{name}", r.plural),
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": kind,
                "verbs": verbs,
            });
            if name == "scale" {
                entry["group"] = json!("autoscaling");
                entry["version"] = json!("v1");
            }
            listed.push(entry);
        }
    }
    let group_version = if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    };
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": listed,
    }))
}

/// `/openapi/v3`: where each group version's document is.
pub(super) fn openapi_index() -> Value {
    let mut paths = serde_json::Map::new();
    let mut add = |path: String| {
        let url = format!("/openapi/v3/{path}?hash={OPENAPI_HASH}");
        paths.insert(path, json!({ "serverRelativeURL": url }));
    };
    add("api/v1".to_owned());
    for (group, version) in resource::groups() {
        add(format!("apis/{group}/{version}"));
    }
    json!({ "paths": paths })
}

/// `/openapi/v3/api/v1` or `/openapi/v3/apis/{group}/{version}`, when served.
pub(super) fn openapi_document(group: &str, version: &str) -> Option<Value> {
    let types = resource::of_group_version(group, version);
    if types.is_empty() {
        return None;
    }
    let mut paths = serde_json::Map::new();
    for r in types {
        paths.insert(object_path(r), json!({ "patch": patch_operation(r) }));
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": { "title": "Kubernetes", "version": GIT_VERSION },
        "paths": paths,
        "components": { "schemas": {} },
    }))
}

fn object_path(r: &Resource) -> String {
    let prefix = if r.group.is_empty() {
        format!("/api/{}", r.version)
    } else {
        format!("/apis/{}/{}", r.group, r.version)
    };
    if r.namespaced {
        format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", r.plural)
    } else {
        format!("{prefix}/{}/{{name}}", r.plural)
    }
}

fn patch_operation(r: &Resource) -> Value {
    let query = |name: &str| json!({ "name": name, "in": "query", "schema": { "type": "string", "uniqueItems": true } });
    let body = json!({ "schema": { "type": "object" } });
    json!({
        "operationId": format!("patch{}", r.kind),
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": { "group": r.group, "version": r.version, "kind": r.kind },
        "parameters": [query("dryRun"), query("fieldManager"), query("fieldValidation"), query("force")],
        "requestBody": {
            "content": {
                "application/apply-patch+yaml": body.clone(),
                "application/json-patch+json": body.clone(),
                "application/merge-patch+json": body,
            },
            "required": true,
        },
        "responses": { "200": { "description": "OK" } },
    })
}
