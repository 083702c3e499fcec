//! One handler for every path: records the request, answers an injected failure, else parses
//! the Kubernetes path and dispatches by method.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::crud;
use super::discovery;
use super::resource::{self, Resource};
use super::server::{Request, Shared};
use super::status::{Failure, json_response};
use super::subresource;
use super::watch;

pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(serve).with_state(shared)
}

/// The query parameters the fake reads.
#[derive(Debug, Default, Clone)]
pub(super) struct Params {
    pub(super) dry_run: bool,
    pub(super) field_manager: Option<String>,
    pub(super) force: bool,
    pub(super) label_selector: Option<String>,
    pub(super) field_selector: Option<String>,
    pub(super) watch: bool,
    pub(super) resource_version: Option<String>,
    pub(super) timeout_seconds: Option<u64>,
    pub(super) allow_bookmarks: bool,
    pub(super) send_initial_events: bool,
    pub(super) propagation_policy: Option<String>,
    pub(super) tail_lines: Option<usize>,
}

impl Params {
    fn parse(uri: &Uri) -> Self {
        let pairs: Vec<(String, String)> = Query::try_from_uri(uri)
            .map(|Query(pairs)| pairs)
            .unwrap_or_default();
        let mut params = Self::default();
        let truthy = |v: &str| v == "true" || v == "1";
        for (key, value) in pairs {
            match key.as_str() {
                "dryRun" => params.dry_run |= value == "All",
                "fieldManager" => params.field_manager = Some(value),
                "force" => params.force = truthy(&value),
                "labelSelector" => params.label_selector = Some(value),
                "fieldSelector" => params.field_selector = Some(value),
                "watch" => params.watch = truthy(&value),
                "resourceVersion" => params.resource_version = Some(value),
                "timeoutSeconds" => params.timeout_seconds = value.parse().ok(),
                "allowWatchBookmarks" => params.allow_bookmarks = truthy(&value),
                "sendInitialEvents" => params.send_initial_events = truthy(&value),
                "propagationPolicy" => params.propagation_policy = Some(value),
                "tailLines" => params.tail_lines = value.parse().ok(),
                _ => {}
            }
        }
        params
    }
}

/// Where a request points, once the path is parsed.
#[derive(Debug, Clone, Copy)]
pub(super) enum Target<'a> {
    /// A type's objects: in one namespace, or all (`None`, also for cluster-scoped types).
    Collection(Option<&'a str>),
    Object(Option<&'a str>, &'a str),
    Subresource(Option<&'a str>, &'a str, &'a str),
}

/// One request, parsed.
#[derive(Debug)]
pub(super) struct Call<'a> {
    pub(super) shared: &'a Arc<Shared>,
    pub(super) method: &'a Method,
    pub(super) resource: &'static Resource,
    pub(super) params: &'a Params,
    pub(super) content_type: Option<&'a str>,
    pub(super) user_agent: Option<&'a str>,
    pub(super) body: &'a [u8],
}

impl Call<'_> {
    /// The manager a write is recorded under: `fieldManager`, else the user agent's product.
    pub(super) fn manager(&self) -> String {
        self.params.field_manager.clone().unwrap_or_else(|| {
            self.user_agent
                .and_then(|agent| agent.split('/').next())
                .filter(|product| !product.is_empty())
                .unwrap_or("unknown")
                .to_owned()
        })
    }

    /// The body as JSON.
    pub(super) fn json_body(&self) -> Result<Value, Failure> {
        let content_type = self.content_type.unwrap_or_default();
        if content_type.contains("protobuf") || content_type.contains("cbor") {
            return Err(Failure::new(
                415,
                "UnsupportedMediaType",
                format!(
                    "the fake Kubernetes API reads JSON bodies only, not {content_type} \
                     (kubectl's `create <kind>` generators send protobuf: use `kubectl create -f` or `apply`)"
                ),
            ));
        }
        serde_json::from_slice(self.body)
            .map_err(|e| Failure::bad_request(format!("the body is not JSON: {e}")))
    }
}

async fn serve(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut params = Params::parse(&uri);
    let header = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    if method == Method::DELETE
        && let Ok(options) = serde_json::from_slice::<Value>(&body)
    {
        let dry_run = options["dryRun"].as_array();
        params.dry_run |= dry_run.is_some_and(|modes| modes.iter().any(|m| m == "All"));
        if params.propagation_policy.is_none() {
            params.propagation_policy = options["propagationPolicy"].as_str().map(str::to_owned);
        }
    }
    let path = uri.path();
    shared.record(Request {
        method: method.clone(),
        path: path.to_owned(),
        query: uri.query().map(str::to_owned),
        dry_run: params.dry_run,
        field_manager: params.field_manager.clone(),
        content_type: header(header::CONTENT_TYPE).map(str::to_owned),
    });
    shared.interleave(&method, path);
    if let Some(code) = shared.take_fault(&method, path) {
        return Failure::for_code(code).into_response();
    }
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let call = |resource| Call {
        shared: &shared,
        method: &method,
        resource,
        params: &params,
        content_type: header(header::CONTENT_TYPE),
        user_agent: header(header::USER_AGENT),
        body: &body,
    };
    let found = match segments.as_slice() {
        ["version"] => Ok(ok(discovery::version())),
        ["healthz" | "livez" | "readyz"] => Ok((StatusCode::OK, "ok").into_response()),
        ["api"] => Ok(ok(discovery::core_versions(&shared.address.to_string()))),
        ["apis"] => Ok(ok(discovery::groups())),
        ["apis", group] => discovery::group(group)
            .map(ok)
            .ok_or_else(Failure::no_route),
        ["openapi", "v3"] => Ok(ok(discovery::openapi_index())),
        ["openapi", "v3", "api", version] => discovery::openapi_document("", version)
            .map(ok)
            .ok_or_else(Failure::no_route),
        ["openapi", "v3", "apis", group, version] => discovery::openapi_document(group, version)
            .map(ok)
            .ok_or_else(Failure::no_route),
        ["api", version, rest @ ..] => served("", version, rest, call),
        ["apis", group, version, rest @ ..] => served(group, version, rest, call),
        _ => Err(Failure::no_route()),
    };
    found.unwrap_or_else(IntoResponse::into_response)
}

fn ok(body: Value) -> Response {
    json_response(StatusCode::OK, &body)
}

/// A path under `/api/v1` or `/apis/{group}/{version}`.
fn served<'a>(
    group: &str,
    version: &str,
    rest: &[&str],
    call: impl Fn(&'static Resource) -> Call<'a>,
) -> Result<Response, Failure> {
    if rest.is_empty() {
        return discovery::resources(group, version)
            .map(ok)
            .ok_or_else(Failure::no_route);
    }
    let namespaced = |plural: &str| resource::find(group, version, plural).filter(|r| r.namespaced);
    let (resource, target) = match rest {
        ["namespaces", namespace, plural, tail @ ..] if namespaced(plural).is_some() => {
            let resource = namespaced(plural).expect("checked");
            let target = match tail {
                [] => Target::Collection(Some(namespace)),
                [name] => Target::Object(Some(namespace), name),
                [name, sub] => Target::Subresource(Some(namespace), name, sub),
                _ => return Err(Failure::no_route()),
            };
            (resource, target)
        }
        [plural, tail @ ..] => {
            let resource = resource::find(group, version, plural).ok_or_else(Failure::no_route)?;
            let target = match (tail, resource.namespaced) {
                ([], _) => Target::Collection(None),
                ([name], false) => Target::Object(None, name),
                ([name, sub], false) => Target::Subresource(None, name, sub),
                _ => return Err(Failure::no_route()),
            };
            (resource, target)
        }
        [] => return Err(Failure::no_route()),
    };
    let call = call(resource);
    let method = call.method.clone();
    match target {
        Target::Collection(namespace) => match method {
            Method::GET if call.params.watch => watch::start(&call, namespace),
            Method::GET => crud::list(&call, namespace),
            Method::POST if namespace.is_some() || !resource.namespaced => {
                crud::create(&call, namespace)
            }
            Method::DELETE => crud::delete_collection(&call, namespace),
            _ => Err(Failure::method_not_allowed()),
        },
        Target::Object(namespace, name) => match method {
            Method::GET => crud::get(&call, namespace, name),
            Method::PUT => crud::replace(&call, namespace, name, false),
            Method::PATCH => crud::patch(&call, namespace, name, false),
            Method::DELETE => crud::delete(&call, namespace, name),
            _ => Err(Failure::method_not_allowed()),
        },
        Target::Subresource(namespace, name, sub) => {
            subresource::serve(&call, namespace, name, sub)
        }
    }
}
