//! The fake's handle: start it, point clients at it, seed and inspect its objects, drive watches
//! and inject failures.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use http::Method;
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::admission;
use super::resource::{self, Resource};
use super::routes;
use super::store::Store;

/// The bearer token written into [`FakeKube::kubeconfig`] (the fake does not check it).
pub const TOKEN: &str = "fake-kube-token";

/// One request as the fake received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The HTTP method.
    pub method: Method,
    /// The path, without the query.
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// Whether it asked for `dryRun=All` (in the query, or in a `DELETE`'s `DeleteOptions`).
    pub dry_run: bool,
    /// The `fieldManager` query parameter.
    pub field_manager: Option<String>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
}

impl Request {
    /// Whether it was a watch (`watch=true` or `watch=1`).
    pub fn is_watch(&self) -> bool {
        self.query
            .as_deref()
            .is_some_and(|q| q.split('&').any(|p| p == "watch=true" || p == "watch=1"))
    }
}

/// Shared by the handle and the server task.
#[derive(Debug)]
pub(super) struct Shared {
    pub(super) address: SocketAddr,
    store: Mutex<Store>,
    requests: Mutex<Vec<Request>>,
    /// One-shot failures: `(method, path prefix, status code)`.
    faults: Mutex<Vec<(Method, String, u16)>>,
    /// One-shot writes made right before a request is served: `(method, path prefix, plural,
    /// object)`, the barrier a test interleaves a concurrent change with.
    interleaved: Mutex<Vec<(Method, String, String, Value)>>,
    /// Cancelled when the handle is dropped; ends the open watches.
    pub(super) stop: CancellationToken,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    pub(super) fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    pub(super) fn record(&self, request: Request) {
        lock(&self.requests).push(request);
    }

    /// Stores the armed write matching this request, if any, disarming it.
    pub(super) fn interleave(&self, method: &Method, path: &str) {
        let armed = {
            let mut armed = lock(&self.interleaved);
            armed
                .iter()
                .position(|(m, prefix, ..)| m == method && path.starts_with(prefix.as_str()))
                .map(|i| armed.remove(i))
        };
        if let Some((_, _, plural, object)) = armed {
            self.insert(&plural, object);
        }
    }

    /// Stores `object` as is (see [`FakeKube::insert`]).
    fn insert(&self, plural: &str, mut object: Value) -> Value {
        let resource = served(plural);
        object["apiVersion"] = json!(resource.api_version());
        object["kind"] = json!(resource.kind);
        if resource.namespaced && object["metadata"]["namespace"].as_str().is_none() {
            object["metadata"]["namespace"] = json!("default");
        }
        admission::stamp(&mut object);
        let meta = &object["metadata"];
        let name = meta["name"]
            .as_str()
            .expect("an inserted object has a name");
        let namespace = meta["namespace"].as_str();
        let mut store = self.store();
        if store.get(resource, namespace, name).is_some() {
            store.update(resource, object)
        } else {
            store.create(resource, object)
        }
    }

    /// The status code of the first armed failure matching this request, disarming it.
    pub(super) fn take_fault(&self, method: &Method, path: &str) -> Option<u16> {
        let mut faults = lock(&self.faults);
        let index = faults
            .iter()
            .position(|(m, prefix, _)| m == method && path.starts_with(prefix.as_str()))?;
        Some(faults.remove(index).2)
    }
}

/// A Kubernetes API server on 127.0.0.1 that keeps its objects in memory, for tests.
///
/// It speaks the protocol the real `kube` client and `kubectl` use: discovery, CRUD with
/// `Status` errors, the four patch types, `dryRun=All`, watches with bookmarks and 410 Expired,
/// and the `pods/log` and `deployments/scale` subresources. Namespaces `default`, `kube-system`
/// and `kube-public` exist from the start. The server stops when the handle is dropped.
#[derive(Debug)]
pub struct FakeKube {
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl Drop for FakeKube {
    fn drop(&mut self) {
        self.shared.stop.cancel();
        self.server.abort();
    }
}

impl FakeKube {
    /// Binds 127.0.0.1 on a free port and starts serving.
    ///
    /// # Panics
    /// When no local port can be bound.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1 for the fake Kubernetes API");
        let address = listener
            .local_addr()
            .expect("a bound listener has an address");
        let shared = Arc::new(Shared {
            address,
            store: Mutex::new(Store::default()),
            requests: Mutex::new(Vec::new()),
            faults: Mutex::new(Vec::new()),
            interleaved: Mutex::new(Vec::new()),
            stop: CancellationToken::new(),
        });
        let app = routes::router(shared.clone());
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::warn!(error.message = %error, "fake kubernetes api stopped");
            }
        });
        Self { shared, server }
    }

    /// The server URL (`http://127.0.0.1:<port>`), e.g. for `kube::Config::new(url.parse()?)`.
    pub fn url(&self) -> String {
        format!("http://{}", self.shared.address)
    }

    /// Writes `dir/kubeconfig` for kubectl: this server over plain HTTP, a bearer token, and
    /// namespace `default`; returns its path (for `KUBECONFIG` or `--kubeconfig`).
    ///
    /// # Panics
    /// When the file cannot be written.
    pub fn kubeconfig(&self, dir: &Path) -> PathBuf {
        let config = json!({
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{ "name": "fake", "cluster": { "server": self.url() } }],
            "users": [{ "name": "fake", "user": { "token": TOKEN } }],
            "contexts": [{ "name": "fake", "context": { "cluster": "fake", "user": "fake", "namespace": "default" } }],
            "current-context": "fake",
            "preferences": {},
        });
        let path = dir.join("kubeconfig");
        let yaml = serde_yaml_ng::to_string(&config).expect("a kubeconfig serializes");
        std::fs::write(&path, yaml).expect("write the kubeconfig");
        path
    }

    /// The stored object, e.g. `get("configmaps", Some("ns"), "name")` (`None` as the namespace
    /// of cluster-scoped types).
    ///
    /// # Panics
    /// When the fake does not serve `plural` (also for the other helpers).
    pub fn get(&self, plural: &str, namespace: Option<&str>, name: &str) -> Option<Value> {
        let resource = served(plural);
        self.shared.store().get(resource, namespace, name).cloned()
    }

    /// The stored objects of a type in one namespace, or in all with `None`, by namespace and name.
    pub fn list(&self, plural: &str, namespace: Option<&str>) -> Vec<Value> {
        self.shared.store().list(served(plural), namespace)
    }

    /// Stores `object` as if someone else had created (or, when it exists, replaced) it: fills in
    /// `kind`, `apiVersion`, namespace `default`, `uid` and `creationTimestamp` when missing,
    /// takes the next resource version and emits the watch event. No defaults are applied and
    /// no controller reacts (a Job inserted this way gets no Pod). Returns the stored object.
    pub fn insert(&self, plural: &str, object: Value) -> Value {
        self.shared.insert(plural, object)
    }

    /// Replaces an object's `status` (as its controller would), under the next resource version,
    /// emitting `MODIFIED`; returns the stored object.
    ///
    /// # Panics
    /// When the object does not exist.
    pub fn set_status(
        &self,
        plural: &str,
        namespace: Option<&str>,
        name: &str,
        status: Value,
    ) -> Value {
        let resource = served(plural);
        let mut store = self.shared.store();
        let mut object = store
            .get(resource, namespace, name)
            .cloned()
            .unwrap_or_else(|| panic!("set_status: no {plural} {namespace:?}/{name}"));
        object["status"] = status;
        store.update(resource, object)
    }

    /// Sets the text `pods/log` answers for a pod (replacing earlier text).
    pub fn set_pod_log(&self, namespace: &str, pod: &str, text: &str) {
        self.shared.store().set_log(namespace, pod, text);
    }

    /// Removes an object now, ignoring finalizers: a namespace with its contents, any object
    /// with its dependents (by `ownerReferences`). Emits the `DELETED` events; returns the
    /// removed object.
    pub fn delete(&self, plural: &str, namespace: Option<&str>, name: &str) -> Option<Value> {
        self.shared
            .store()
            .remove(served(plural), namespace, name, true)
    }

    /// Forgets the event history and moves the resource version on, so a watch from any version
    /// handed out so far gets `410 Expired` (the client must list again).
    pub fn compact(&self) {
        self.shared.store().compact();
    }

    /// Ends every open watch stream abruptly (the connection drops mid-stream).
    pub fn break_watches(&self) {
        self.shared.store().break_watches();
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.shared.requests).clone()
    }

    /// Answers the next request with this method whose path starts with `path_prefix` with a
    /// `Status` failure of this code (reason from the code: 404 NotFound, 409 Conflict, 500
    /// InternalError, …) instead of serving it. Each call arms one failure.
    pub fn fail_next(&self, method: Method, path_prefix: &str, status_code: u16) {
        lock(&self.shared.faults).push((method, path_prefix.to_owned(), status_code));
    }

    /// Right before serving the next request with this method whose path starts with
    /// `path_prefix`, stores `object` as [`FakeKube::insert`] does: a concurrent writer's change
    /// landing between a client's read and its write, at a point the test chooses.
    pub fn insert_before_next(
        &self,
        method: Method,
        path_prefix: &str,
        plural: &str,
        object: Value,
    ) {
        lock(&self.shared.interleaved).push((
            method,
            path_prefix.to_owned(),
            plural.to_owned(),
            object,
        ));
    }
}

fn served(plural: &str) -> &'static Resource {
    resource::by_plural(plural)
        .unwrap_or_else(|| panic!("the fake Kubernetes API does not serve {plural:?}"))
}
