//! The four patch types of `PATCH`: JSON merge patch (RFC 7386), JSON patch (RFC 6902), strategic
//! merge patch and server-side apply.
//!
//! Strategic merge patch and apply merge maps like a merge patch. Lists differ: a list of objects
//! that all carry one of the usual merge keys (`name`, `containerPort`, `mountPath`, `type`, `ip`,
//! `devicePath`) is merged element by element on that key (`$patch: delete` on an element removes
//! it); any other list is replaced whole. The API server instead reads each field's merge strategy
//! from the type's schema, so a list with a different key, or a primitive list with the `merge`
//! strategy (`finalizers`), is replaced here where the server would merge it. The directives
//! `$setElementOrder/…`, `$retainKeys` and `$deleteFromPrimitiveList/…` are accepted and ignored;
//! `$patch: replace` and `$patch: delete` on a map are honoured.

use serde_json::{Map, Value};

/// The keys a list element may be merged on, most specific first.
const MERGE_KEYS: &[&str] = &[
    "name",
    "containerPort",
    "mountPath",
    "devicePath",
    "type",
    "ip",
];

/// How the body of a `PATCH` is to be applied, from its content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Merge,
    Json,
    Strategic,
    Apply,
}

impl Kind {
    /// The patch type named by a `Content-Type` (parameters ignored).
    pub(super) fn from_content_type(content_type: &str) -> Option<Self> {
        match content_type.split(';').next().unwrap_or_default().trim() {
            "application/merge-patch+json" => Some(Self::Merge),
            "application/json-patch+json" => Some(Self::Json),
            "application/strategic-merge-patch+json" => Some(Self::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+cbor" => Some(Self::Apply),
            _ => None,
        }
    }
}

/// RFC 7386: maps merge recursively, `null` removes, anything else replaces.
pub(super) fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(target) = target else {
        return;
    };
    for (key, value) in patch {
        if value.is_null() {
            target.remove(key);
        } else {
            merge(target.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

/// A strategic merge patch (or an applied configuration) merged into `target`, as described in
/// the module documentation.
pub(super) fn strategic(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    match patch.get("$patch").and_then(Value::as_str) {
        Some("replace") => {
            let mut replaced = patch.clone();
            replaced.remove("$patch");
            *target = Value::Object(replaced);
            return;
        }
        Some("delete") => {
            *target = Value::Null;
            return;
        }
        _ => {}
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(target) = target else {
        return;
    };
    for (key, value) in patch {
        if key.starts_with('$') {
            continue;
        }
        match value {
            Value::Null => {
                target.remove(key);
            }
            Value::Array(elements) => {
                let current = target.remove(key).unwrap_or(Value::Null);
                target.insert(key.clone(), merge_list(current, elements));
            }
            _ => {
                let slot = target.entry(key.clone()).or_insert(Value::Null);
                strategic(slot, value);
                if slot.is_null() {
                    target.remove(key);
                }
            }
        }
    }
}

fn merge_list(current: Value, patch: &[Value]) -> Value {
    let current = match current {
        Value::Array(current) => current,
        _ => Vec::new(),
    };
    let Some(key) = merge_key(&current, patch) else {
        return Value::Array(patch.iter().map(without_directives).collect());
    };
    let mut merged = current;
    for element in patch {
        let id = &element[key];
        let position = merged.iter().position(|e| &e[key] == id);
        let delete = element.get("$patch").and_then(Value::as_str) == Some("delete");
        match (position, delete) {
            (Some(i), true) => {
                merged.remove(i);
            }
            (None, true) => {}
            (Some(i), false) => strategic(&mut merged[i], element),
            (None, false) => merged.push(without_directives(element)),
        }
    }
    Value::Array(merged)
}

/// The merge key every object of both lists carries, if any.
fn merge_key(current: &[Value], patch: &[Value]) -> Option<&'static str> {
    if patch.is_empty() {
        return None;
    }
    MERGE_KEYS.iter().copied().find(|key| {
        current
            .iter()
            .chain(patch)
            .all(|e| e.get(key).is_some_and(|v| !v.is_null()))
    })
}

fn without_directives(value: &Value) -> Value {
    let mut value = value.clone();
    strip_directives(&mut value);
    value
}

fn strip_directives(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|key, _| !key.starts_with('$'));
            map.values_mut().for_each(strip_directives);
        }
        Value::Array(elements) => elements.iter_mut().for_each(strip_directives),
        _ => {}
    }
}

/// RFC 6902 operations applied in order; the error says which failed.
pub(super) fn json_patch(target: &mut Value, operations: &Value) -> Result<(), String> {
    let operations = operations
        .as_array()
        .ok_or("a json patch must be a list of operations")?;
    for operation in operations {
        let op = operation["op"].as_str().ok_or("operation without op")?;
        let path = operation["path"].as_str().ok_or("operation without path")?;
        match op {
            "add" => add(target, path, operation["value"].clone())?,
            "remove" => {
                remove(target, path)?;
            }
            "replace" => {
                remove(target, path)?;
                add(target, path, operation["value"].clone())?;
            }
            "move" | "copy" => {
                let from = operation["from"].as_str().ok_or("operation without from")?;
                let value = if op == "move" {
                    remove(target, from)?
                } else {
                    target
                        .pointer(from)
                        .cloned()
                        .ok_or_else(|| format!("missing value at {from}"))?
                };
                add(target, path, value)?;
            }
            "test" => {
                if target.pointer(path) != Some(&operation["value"]) {
                    return Err(format!("test operation failed at {path}"));
                }
            }
            other => return Err(format!("unknown json patch operation {other:?}")),
        }
    }
    Ok(())
}

/// The parent of a JSON pointer and its last token, unescaped.
fn split_pointer(path: &str) -> Result<(&str, String), String> {
    let cut = path
        .rfind('/')
        .ok_or_else(|| format!("invalid json pointer {path:?}"))?;
    let token = path[cut + 1..].replace("~1", "/").replace("~0", "~");
    Ok((&path[..cut], token))
}

fn add(target: &mut Value, path: &str, value: Value) -> Result<(), String> {
    if path.is_empty() {
        *target = value;
        return Ok(());
    }
    let (parent, token) = split_pointer(path)?;
    match target.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.insert(token, value);
            Ok(())
        }
        Some(Value::Array(list)) => {
            let index = if token == "-" {
                list.len()
            } else {
                token
                    .parse::<usize>()
                    .ok()
                    .filter(|i| *i <= list.len())
                    .ok_or_else(|| format!("invalid array index in {path}"))?
            };
            list.insert(index, value);
            Ok(())
        }
        _ => Err(format!("missing parent of {path}")),
    }
}

fn remove(target: &mut Value, path: &str) -> Result<Value, String> {
    let (parent, token) = split_pointer(path)?;
    let removed = match target.pointer_mut(parent) {
        Some(Value::Object(map)) => map.remove(&token),
        Some(Value::Array(list)) => token
            .parse::<usize>()
            .ok()
            .filter(|i| *i < list.len())
            .map(|i| list.remove(i)),
        _ => None,
    };
    removed.ok_or_else(|| format!("missing value at {path}"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn merge_patch_replaces_lists_and_removes_nulls() {
        let mut target = json!({ "a": { "b": 1, "c": 2 }, "l": [1, 2] });
        merge(
            &mut target,
            &json!({ "a": { "b": null, "d": 3 }, "l": [3] }),
        );
        assert_eq!(target, json!({ "a": { "c": 2, "d": 3 }, "l": [3] }));
    }

    #[test]
    fn strategic_patch_merges_named_lists_and_honours_directives() {
        let mut target = json!({ "containers": [{ "name": "a", "image": "x" }, { "name": "b", "image": "y" }],
                                 "args": ["1"] });
        strategic(
            &mut target,
            &json!({ "$setElementOrder/containers": [{ "name": "a" }],
                     "containers": [{ "name": "a", "image": "z" }, { "name": "b", "$patch": "delete" }],
                     "args": ["2"] }),
        );
        assert_eq!(
            target,
            json!({ "containers": [{ "name": "a", "image": "z" }], "args": ["2"] })
        );
    }

    #[test]
    fn json_patch_applies_each_operation() {
        let mut target = json!({ "a": [1, 2], "b": { "c": "d" } });
        let operations = json!([
            { "op": "add", "path": "/a/-", "value": 3 },
            { "op": "replace", "path": "/b/c", "value": "e" },
            { "op": "move", "from": "/b", "path": "/m" },
            { "op": "test", "path": "/m/c", "value": "e" },
            { "op": "remove", "path": "/a/0" }
        ]);
        json_patch(&mut target, &operations).unwrap();
        assert_eq!(target, json!({ "a": [2, 3], "m": { "c": "e" } }));
        let failing = json!([{ "op": "test", "path": "/a/0", "value": 9 }]);
        assert!(json_patch(&mut target, &failing).is_err());
    }
}
