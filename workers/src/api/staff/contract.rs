//! The contract at run time: every staff request is checked against `api/openapi.yaml` before its
//! handler runs. A secured operation first authenticates its caller (401), then its path, query,
//! header parameters and JSON body are validated against the operation's schemas (400 naming
//! each field). Handlers therefore only ever see input the contract allows.

use std::{collections::HashMap, sync::Arc, sync::LazyLock};

use axum::{
    body::{Body, to_bytes},
    extract::{MatchedPath, RawPathParams, Request, State},
    http::{Method, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use jsonschema::{Validator, error::ValidationErrorKind};
use serde_json::{Value, json};

use super::auth;
use crate::api::{ApiError, AppState, problem::FieldError};

/// The contract document.
pub(crate) const SPEC_YAML: &str = include_str!("../../../../api/openapi.yaml");

/// Largest staff request body: a prompt template of 65,536 characters, each escaped in JSON.
const MAX_BODY: usize = 1 << 20;

static SPEC: LazyLock<Value> =
    LazyLock::new(|| serde_yaml_ng::from_str(SPEC_YAML).expect("api/openapi.yaml is valid YAML"));

/// The contract as JSON.
pub(crate) fn spec_json() -> &'static Value {
    &SPEC
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Location {
    Path,
    Query,
    Header,
}

impl Location {
    fn name(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Header => "header",
        }
    }
}

/// A scalar's JSON type, to read a parameter's text as the schema expects.
#[derive(Debug, Clone, Copy)]
enum Scalar {
    String,
    Integer,
    Number,
    Boolean,
}

struct Param {
    name: String,
    location: Location,
    required: bool,
    scalar: Scalar,
    validator: Validator,
}

struct Operation {
    secured: bool,
    params: Vec<Param>,
    body: Option<(bool, Validator)>,
}

/// Every operation of the contract, by method and path template.
pub(crate) struct Contract {
    operations: HashMap<(Method, String), Operation>,
}

fn resolve<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix('#')
            .and_then(|p| spec.pointer(p))
            .map(|t| resolve(spec, t))
            .expect("every $ref of the contract resolves"),
        None => v,
    }
}

fn validator(spec: &Value, schema: &Value) -> Validator {
    let doc = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": spec["components"],
        "allOf": [schema],
    });
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&doc)
        .expect("every schema of the contract compiles")
}

fn scalar(spec: &Value, schema: &Value) -> Scalar {
    let schema = resolve(spec, schema);
    match schema.get("type").and_then(Value::as_str) {
        Some("integer") => Scalar::Integer,
        Some("number") => Scalar::Number,
        Some("boolean") => Scalar::Boolean,
        _ => Scalar::String,
    }
}

impl Contract {
    fn load() -> Self {
        let spec = spec_json();
        let default_secured = spec
            .get("security")
            .and_then(Value::as_array)
            .is_some_and(|s| !s.is_empty());
        let mut operations = HashMap::new();
        for (path, item) in spec["paths"].as_object().expect("paths") {
            let shared: Vec<Value> = item
                .get("parameters")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for (method, op) in item.as_object().expect("path item") {
                let method = match method.as_str() {
                    "get" => Method::GET,
                    "put" => Method::PUT,
                    "post" => Method::POST,
                    "delete" => Method::DELETE,
                    "patch" => Method::PATCH,
                    _ => continue,
                };
                let Some(op) = op.as_object() else { continue };
                let own: Vec<Value> = op
                    .get("parameters")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let params = shared
                    .iter()
                    .chain(own.iter())
                    .map(|p| {
                        let p = resolve(spec, p);
                        let location = match p["in"].as_str() {
                            Some("path") => Location::Path,
                            Some("query") => Location::Query,
                            Some("header") => Location::Header,
                            other => panic!("unsupported parameter location {other:?}"),
                        };
                        Param {
                            name: p["name"].as_str().expect("parameter name").to_owned(),
                            location,
                            required: p["required"].as_bool().unwrap_or(false),
                            scalar: scalar(spec, &p["schema"]),
                            validator: validator(spec, &p["schema"]),
                        }
                    })
                    .collect();
                let body = op.get("requestBody").map(|b| {
                    let b = resolve(spec, b);
                    let schema = &b["content"]["application/json"]["schema"];
                    (
                        b["required"].as_bool().unwrap_or(false),
                        validator(spec, schema),
                    )
                });
                let secured = match op.get("security").and_then(Value::as_array) {
                    Some(s) => !s.is_empty(),
                    None => default_secured,
                };
                operations.insert(
                    (method, path.clone()),
                    Operation {
                        secured,
                        params,
                        body,
                    },
                );
            }
        }
        Self { operations }
    }

    /// The process-wide contract (parsed once).
    pub(crate) fn get() -> Arc<Contract> {
        static CONTRACT: LazyLock<Arc<Contract>> = LazyLock::new(|| Arc::new(Contract::load()));
        CONTRACT.clone()
    }

    /// Every operation as `(method, path template)`.
    pub(crate) fn operations(&self) -> Vec<(Method, String)> {
        let mut ops: Vec<_> = self.operations.keys().cloned().collect();
        ops.sort_by(|a, b| (&a.1, a.0.as_str()).cmp(&(&b.1, b.0.as_str())));
        ops
    }

    /// Whether an operation requires a bearer token.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn is_secured(&self, method: &Method, path: &str) -> bool {
        self.operations
            .get(&(method.clone(), path.to_owned()))
            .is_some_and(|o| o.secured)
    }
}

fn typed(scalar: Scalar, raw: &str) -> Value {
    match scalar {
        Scalar::String => Value::String(raw.to_owned()),
        Scalar::Integer => raw
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(raw.to_owned())),
        Scalar::Number => raw
            .parse::<f64>()
            .ok()
            .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
            .unwrap_or_else(|| Value::String(raw.to_owned())),
        Scalar::Boolean => match raw {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            other => Value::String(other.to_owned()),
        },
    }
}

fn field_errors(prefix: &str, validator: &Validator, instance: &Value) -> Vec<FieldError> {
    validator
        .iter_errors(instance)
        .map(|e| {
            let mut field = format!("{prefix}{}", e.instance_path().as_str());
            if let ValidationErrorKind::Required { property } = e.kind()
                && let Some(p) = property.as_str()
            {
                field = format!("{field}/{p}");
            }
            // The value itself is never echoed: it may be a secret (a repository token).
            let message = match e.kind() {
                ValidationErrorKind::Required { .. } => "is required".to_owned(),
                ValidationErrorKind::AdditionalProperties { unexpected } => {
                    format!("unexpected properties: {}", unexpected.join(", "))
                }
                kind => format!("violates `{}`", kind.keyword()),
            };
            FieldError { field, message }
        })
        .collect()
}

/// Rewrites every float with no fractional part (within i64) as an integer; whether any was.
fn integral_floats(v: &mut Value) -> bool {
    match v {
        Value::Number(n) if n.is_f64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                *v = Value::from(f as i64);
                true
            }
            _ => false,
        },
        Value::Array(items) => {
            let mut any = false;
            for item in items {
                any |= integral_floats(item);
            }
            any
        }
        Value::Object(map) => {
            let mut any = false;
            for item in map.values_mut() {
                any |= integral_floats(item);
            }
            any
        }
        _ => false,
    }
}

/// Postgres text cannot hold U+0000: a string with one is refused here, naming where.
fn nul_errors(at: &str, v: &Value, errors: &mut Vec<FieldError>) {
    match v {
        Value::String(s) if s.contains('\0') => errors.push(FieldError {
            field: at.to_owned(),
            message: "must not contain NUL characters".into(),
        }),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                nul_errors(&format!("{at}/{i}"), item, errors);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                nul_errors(&format!("{at}/{k}"), item, errors);
            }
        }
        _ => {}
    }
}

fn check_params(
    op: &Operation,
    path: &HashMap<String, String>,
    query: &[(String, String)],
    headers: &axum::http::HeaderMap,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for p in &op.params {
        let values: Vec<String> = match p.location {
            Location::Path => path.get(&p.name).cloned().into_iter().collect(),
            Location::Query => query
                .iter()
                .filter(|(k, _)| k == &p.name)
                .map(|(_, v)| v.clone())
                .collect(),
            Location::Header => headers
                .get_all(p.name.as_str())
                .iter()
                .map(|v| v.to_str().unwrap_or("\u{fffd}").to_owned())
                .collect(),
        };
        let field = format!("{}/{}", p.location.name(), p.name);
        if values.iter().any(|v| v.contains('\0')) {
            errors.push(FieldError {
                field,
                message: "must not contain NUL characters".into(),
            });
            continue;
        }
        match values.as_slice() {
            [] if p.required => errors.push(FieldError {
                field,
                message: "is required".into(),
            }),
            [] => {}
            [one] => errors.extend(field_errors(&field, &p.validator, &typed(p.scalar, one))),
            _ => errors.push(FieldError {
                field,
                message: "is given more than once".into(),
            }),
        }
    }
    errors
}

/// The middleware: authenticate secured operations, then validate parameters and body.
pub(crate) async fn enforce(
    State(state): State<AppState>,
    matched: MatchedPath,
    path_params: RawPathParams,
    request: Request,
    next: Next,
) -> Response {
    match check(&state, matched.as_str(), path_params, request).await {
        Ok(request) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

async fn check(
    state: &AppState,
    template: &str,
    path_params: RawPathParams,
    request: Request,
) -> Result<Request, ApiError> {
    let contract = &state.staff.contract;
    let key = (request.method().clone(), template.to_owned());
    let Some(op) = contract.operations.get(&key) else {
        let allowed: Vec<String> = contract
            .operations
            .keys()
            .filter(|(_, p)| p == template)
            .map(|(m, _)| m.to_string())
            .collect();
        if !allowed.is_empty() {
            return Err(ApiError::MethodNotAllowed(allowed.join(", ")));
        }
        // A route the contract does not know is a bug, never served unchecked.
        return Err(ApiError::Internal(anyhow::anyhow!(
            "route {} {template} is not in api/openapi.yaml",
            key.0
        )));
    };
    let (mut parts, body) = request.into_parts();
    if op.secured {
        let caller = auth::authenticate(state, &parts.headers).await?;
        parts.extensions.insert(caller);
    }
    let path: HashMap<String, String> = path_params
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| serde_urlencoded::from_str(q).unwrap_or_default())
        .unwrap_or_default();
    let mut errors = check_params(op, &path, &query, &parts.headers);
    let mut bytes = to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| ApiError::TooLarge(MAX_BODY))?;
    if let Some((required, validator)) = &op.body {
        if bytes.is_empty() {
            if *required {
                errors.push(FieldError {
                    field: "body".into(),
                    message: "is required".into(),
                });
            }
        } else {
            let json_type = parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/json"));
            if !json_type {
                errors.push(FieldError {
                    field: "header/Content-Type".into(),
                    message: "must be application/json".into(),
                });
            } else {
                match serde_json::from_slice::<Value>(&bytes) {
                    Ok(mut v) => {
                        errors.extend(field_errors("body", validator, &v));
                        nul_errors("body", &v, &mut errors);
                        // JSON Schema counts 88.0 as an integer; hand the handlers 88.
                        if integral_floats(&mut v) {
                            bytes = serde_json::to_vec(&v)
                                .map_err(|e| ApiError::Internal(e.into()))?
                                .into();
                        }
                    }
                    Err(_) => errors.push(FieldError {
                        field: "body".into(),
                        message: "is not valid JSON".into(),
                    }),
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Contract(errors));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_loads_with_every_operation_and_schema() {
        let c = Contract::load();
        assert!(c.operations.len() >= 20, "{}", c.operations.len());
        assert!(!c.is_secured(&Method::GET, "/api/v1/staff/auth/github/login"));
        assert!(c.is_secured(&Method::GET, "/api/v1/staff/runs"));
    }

    #[test]
    fn a_violation_names_the_field_and_never_echoes_the_value() {
        let c = Contract::load();
        let op = &c.operations[&(
            Method::POST,
            "/api/v1/staff/projects/{project}/repositories".to_owned(),
        )];
        let (_, v) = op.body.as_ref().unwrap();
        let errors = field_errors(
            "body",
            v,
            &json!({ "full_name": "nope", "token": "ghp with space" }),
        );
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(
            fields.contains(&"body/full_name") && fields.contains(&"body/token"),
            "{fields:?}"
        );
        assert!(!errors.iter().any(|e| e.message.contains("ghp")));
        let missing = field_errors("body", v, &json!({}));
        assert_eq!(missing[0].field, "body/full_name");
    }
}
