//! The manifests under `deploy/`: every kustomization renders with the real `kubectl kustomize`,
//! every rendered object parses as its Kubernetes type strictly (deserialized, serialized again and
//! compared with what was rendered, so an unknown or misspelt field fails), and the objects keep
//! the platform's rules: restricted pods, secrets only by reference, pinned images, resources, no
//! wildcard RBAC, one scaler at a time. Components cannot render alone: each must be included by
//! an overlay that is rendered here.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
    process::Command,
};

use k8s_openapi::{
    api::{
        apps::v1::{Deployment, StatefulSet},
        autoscaling::v2::HorizontalPodAutoscalerBehavior,
        core::v1::{
            ConfigMap, Container, Namespace, PodSpec, PodTemplateSpec, Service, ServiceAccount,
        },
        networking::v1::{Ingress, NetworkPolicy},
        policy::v1::PodDisruptionBudget,
        rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding},
    },
    apimachinery::pkg::{apis::meta::v1::ObjectMeta, util::intstr::IntOrString},
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::Value;

const NAMESPACE: &str = "codex-k8s";
const PART_OF: &str = "app.kubernetes.io/part-of";
const SECRET: &str = "codex-k8s-secrets";
const IMAGE: &str = "ghcr.io/codex-k8s/codex-k8s";
const UID: i64 = 10001;

// KEDA's resources have no k8s-openapi type: these structs name the fields the manifests may use
// and refuse any other (the round trip then catches unknown fields nested in k8s-openapi types).

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ScaledObject {
    api_version: String,
    kind: String,
    metadata: ObjectMeta,
    spec: ScaledObjectSpec,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ScaledObjectSpec {
    scale_target_ref: ScaleTargetRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    polling_interval: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cooldown_period: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_replica_count: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_replica_count: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    advanced: Option<Advanced>,
    triggers: Vec<Trigger>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ScaleTargetRef {
    #[serde(skip_serializing_if = "Option::is_none")]
    api_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    name: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Advanced {
    #[serde(skip_serializing_if = "Option::is_none")]
    horizontal_pod_autoscaler_config: Option<HpaConfig>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct HpaConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    behavior: Option<HorizontalPodAutoscalerBehavior>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Trigger {
    #[serde(rename = "type")]
    type_: String,
    // KEDA's trigger metadata is a map of strings: a number here is refused by its CRD.
    metadata: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    authentication_ref: Option<AuthenticationRef>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AuthenticationRef {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TriggerAuthentication {
    api_version: String,
    kind: String,
    metadata: ObjectMeta,
    spec: TriggerAuthenticationSpec,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TriggerAuthenticationSpec {
    secret_target_ref: Vec<SecretTargetRef>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SecretTargetRef {
    parameter: String,
    name: String,
    key: String,
}

/// The keys KEDA's `postgresql` trigger reads from its metadata.
const POSTGRESQL_TRIGGER_KEYS: &[&str] = &[
    "query",
    "targetQueryValue",
    "activationTargetQueryValue",
    "connectionFromEnv",
    "host",
    "port",
    "userName",
    "dbName",
    "sslmode",
    "passwordFromEnv",
];

/// One rendered object, typed.
#[derive(Debug)]
enum Manifest {
    Namespace(Box<Namespace>),
    ServiceAccount(Box<ServiceAccount>),
    ConfigMap(Box<ConfigMap>),
    Service(Box<Service>),
    Deployment(Box<Deployment>),
    StatefulSet(Box<StatefulSet>),
    PodDisruptionBudget(Box<PodDisruptionBudget>),
    NetworkPolicy(Box<NetworkPolicy>),
    Ingress(Box<Ingress>),
    ClusterRole(Box<ClusterRole>),
    ClusterRoleBinding(Box<ClusterRoleBinding>),
    Role(Box<Role>),
    RoleBinding(Box<RoleBinding>),
    ScaledObject(Box<ScaledObject>),
    TriggerAuthentication(Box<TriggerAuthentication>),
}

impl Manifest {
    fn metadata(&self) -> &ObjectMeta {
        match self {
            Self::Namespace(o) => &o.metadata,
            Self::ServiceAccount(o) => &o.metadata,
            Self::ConfigMap(o) => &o.metadata,
            Self::Service(o) => &o.metadata,
            Self::Deployment(o) => &o.metadata,
            Self::StatefulSet(o) => &o.metadata,
            Self::PodDisruptionBudget(o) => &o.metadata,
            Self::NetworkPolicy(o) => &o.metadata,
            Self::Ingress(o) => &o.metadata,
            Self::ClusterRole(o) => &o.metadata,
            Self::ClusterRoleBinding(o) => &o.metadata,
            Self::Role(o) => &o.metadata,
            Self::RoleBinding(o) => &o.metadata,
            Self::ScaledObject(o) => &o.metadata,
            Self::TriggerAuthentication(o) => &o.metadata,
        }
    }

    fn cluster_scoped(&self) -> bool {
        matches!(
            self,
            Self::Namespace(_) | Self::ClusterRole(_) | Self::ClusterRoleBinding(_)
        )
    }
}

/// The first place where `a` and `b` differ, as a JSON path with both values.
fn first_difference(path: &str, a: &Value, b: &Value) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| {
                let here = format!("{path}.{k}");
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) => first_difference(&here, u, v),
                    (u, v) => Some(format!("{here}: rendered {u:?}, typed {v:?}")),
                }
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (u, v))| first_difference(&format!("{path}[{i}]"), u, v)),
        _ if a == b => None,
        _ => Some(format!("{path}: rendered {a}, typed {b}")),
    }
}

/// `value` as `T`, refusing what `T` would drop or change: the typed object, serialized again,
/// must be exactly what was rendered.
fn strict<T: DeserializeOwned + Serialize>(what: &str, value: &Value) -> T {
    let typed: T = serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("{what} does not parse as its type: {e}"));
    let again = serde_json::to_value(&typed).expect("serialize a typed object");
    if let Some(difference) = first_difference("", value, &again) {
        panic!("{what} has a field its type does not know or keeps differently: {difference}");
    }
    typed
}

fn parse(value: &Value) -> Manifest {
    let api_version = value["apiVersion"].as_str().unwrap_or_default();
    let kind = value["kind"].as_str().unwrap_or_default();
    let name = value["metadata"]["name"].as_str().unwrap_or_default();
    let what = format!("{kind} {name} ({api_version})");
    let w = what.as_str();
    match (api_version, kind) {
        ("v1", "Namespace") => Manifest::Namespace(strict(w, value)),
        ("v1", "ServiceAccount") => Manifest::ServiceAccount(strict(w, value)),
        ("v1", "ConfigMap") => Manifest::ConfigMap(strict(w, value)),
        ("v1", "Service") => Manifest::Service(strict(w, value)),
        ("apps/v1", "Deployment") => Manifest::Deployment(strict(w, value)),
        ("apps/v1", "StatefulSet") => Manifest::StatefulSet(strict(w, value)),
        ("policy/v1", "PodDisruptionBudget") => Manifest::PodDisruptionBudget(strict(w, value)),
        ("networking.k8s.io/v1", "NetworkPolicy") => Manifest::NetworkPolicy(strict(w, value)),
        ("networking.k8s.io/v1", "Ingress") => Manifest::Ingress(strict(w, value)),
        ("rbac.authorization.k8s.io/v1", "ClusterRole") => Manifest::ClusterRole(strict(w, value)),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => {
            Manifest::ClusterRoleBinding(strict(w, value))
        }
        ("rbac.authorization.k8s.io/v1", "Role") => Manifest::Role(strict(w, value)),
        ("rbac.authorization.k8s.io/v1", "RoleBinding") => Manifest::RoleBinding(strict(w, value)),
        ("keda.sh/v1alpha1", "ScaledObject") => Manifest::ScaledObject(strict(w, value)),
        ("keda.sh/v1alpha1", "TriggerAuthentication") => {
            Manifest::TriggerAuthentication(strict(w, value))
        }
        ("v1", "Secret") => panic!("{w}: secrets are created on the server, never kept in deploy/"),
        _ => panic!("{w}: a kind this test does not check; add it here"),
    }
}

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy")
        .canonicalize()
        .expect("deploy/ exists at the workspace root")
}

/// Every directory under `dir` holding a `kustomization.yaml`, with its parsed content.
fn kustomizations(dir: &Path, found: &mut BTreeMap<PathBuf, Value>) {
    let file = dir.join("kustomization.yaml");
    if file.is_file() {
        let text = std::fs::read_to_string(&file).expect("read a kustomization");
        let value: Value = serde_yaml_ng::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not YAML: {e}", file.display()));
        found.insert(dir.to_path_buf(), value);
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("list a deploy directory")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_dir())
        .collect();
    entries.sort();
    for entry in entries {
        kustomizations(&entry, found);
    }
}

fn render(dir: &Path) -> Vec<Manifest> {
    let output = Command::new(testkit::kubectl::kubectl())
        .arg("kustomize")
        .arg(dir)
        .output()
        .expect("run kubectl kustomize");
    assert!(
        output.status.success(),
        "kubectl kustomize {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("kustomize prints UTF-8");
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|document| {
            Value::deserialize(document)
                .unwrap_or_else(|e| panic!("{}: a rendered document: {e}", dir.display()))
        })
        .filter(|value| !value.is_null())
        .map(|value| parse(&value))
        .collect()
}

fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    ["SECRET", "TOKEN", "KEY", "PASSWORD", "DATABASE_URL"]
        .iter()
        .any(|word| upper.contains(word))
        || (upper.starts_with("DATABASE") && upper.ends_with("_URL"))
}

fn has_tag(image: &str) -> bool {
    if image.contains("@sha256:") {
        return true;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    matches!(last.split_once(':'), Some((_, tag)) if !tag.is_empty() && tag != "latest")
}

fn port_of(container: &Container, port: &IntOrString) -> Option<i32> {
    let ports = container.ports.as_deref().unwrap_or_default();
    match port {
        IntOrString::Int(n) => ports.iter().find(|p| p.container_port == *n),
        IntOrString::String(name) => ports.iter().find(|p| p.name.as_deref() == Some(name)),
    }
    .map(|p| p.container_port)
}

/// The restricted profile, secrets by reference only, resources, pinned images; `who` names the
/// workload in failures.
fn check_pod(who: &str, pod: &PodSpec) {
    let psc = pod
        .security_context
        .as_ref()
        .unwrap_or_else(|| panic!("{who}: no pod securityContext"));
    assert_eq!(psc.run_as_non_root, Some(true), "{who}: runAsNonRoot");
    assert_eq!(psc.run_as_user, Some(UID), "{who}: runAsUser");
    let pod_seccomp = psc.seccomp_profile.as_ref().map(|s| s.type_.as_str());
    assert_eq!(pod_seccomp, Some("RuntimeDefault"), "{who}: pod seccomp");
    assert!(
        pod.automount_service_account_token.is_some(),
        "{who}: automountServiceAccountToken must be explicit"
    );
    if pod.automount_service_account_token == Some(true) {
        assert_eq!(
            pod.service_account_name.as_deref(),
            Some("codex-k8s-worker"),
            "{who}: only the worker talks to the Kubernetes API"
        );
    }
    let containers = pod
        .init_containers
        .iter()
        .flatten()
        .chain(pod.containers.iter());
    for c in containers {
        let who = format!("{who} container {}", c.name);
        let sc = c
            .security_context
            .as_ref()
            .unwrap_or_else(|| panic!("{who}: no securityContext"));
        assert_eq!(sc.run_as_non_root, Some(true), "{who}: runAsNonRoot");
        assert_eq!(sc.run_as_user, Some(UID), "{who}: runAsUser");
        assert_eq!(
            sc.read_only_root_filesystem,
            Some(true),
            "{who}: readOnlyRootFilesystem"
        );
        assert_eq!(
            sc.allow_privilege_escalation,
            Some(false),
            "{who}: allowPrivilegeEscalation"
        );
        assert_ne!(sc.privileged, Some(true), "{who}: privileged");
        let caps = sc.capabilities.as_ref();
        assert_eq!(
            caps.and_then(|c| c.drop.clone()),
            Some(vec!["ALL".to_owned()]),
            "{who}: capabilities drop ALL"
        );
        assert!(
            caps.and_then(|c| c.add.as_ref()).is_none_or(Vec::is_empty),
            "{who}: no capability added"
        );
        let seccomp = sc.seccomp_profile.as_ref().map(|s| s.type_.as_str());
        assert_eq!(seccomp, Some("RuntimeDefault"), "{who}: seccomp");

        let image = c.image.as_deref().unwrap_or_default();
        assert!(
            has_tag(image),
            "{who}: image {image:?} must carry a pinned tag, not latest"
        );

        let resources = c
            .resources
            .as_ref()
            .unwrap_or_else(|| panic!("{who}: no resources"));
        for (kind, list) in [
            ("requests", &resources.requests),
            ("limits", &resources.limits),
        ] {
            let list = list
                .as_ref()
                .unwrap_or_else(|| panic!("{who}: no resource {kind}"));
            for resource in ["cpu", "memory"] {
                assert!(
                    list.contains_key(resource),
                    "{who}: no {resource} in {kind}"
                );
            }
        }

        for env in c.env.iter().flatten() {
            if is_secret_name(&env.name) {
                let reference = env
                    .value_from
                    .as_ref()
                    .and_then(|v| v.secret_key_ref.as_ref());
                assert!(
                    env.value.is_none() && reference.is_some(),
                    "{who}: {} must come from a secretKeyRef, never a plain value",
                    env.name
                );
            }
            if let Some(reference) = env
                .value_from
                .as_ref()
                .and_then(|v| v.secret_key_ref.as_ref())
            {
                assert!(
                    reference.name == SECRET,
                    "{who}: {} refers to Secret {}, not {SECRET}",
                    env.name,
                    reference.name
                );
            }
        }
        for source in c.env_from.iter().flatten() {
            assert!(
                source.secret_ref.is_none(),
                "{who}: secrets are passed key by key (secretKeyRef), never a whole Secret"
            );
        }
    }
}

/// The port `CK8S_HTTP_ADDR` binds, the probes and the declared container port agree.
fn check_probes(who: &str, container: &Container) {
    let addr = container
        .env
        .iter()
        .flatten()
        .find(|e| e.name == "CK8S_HTTP_ADDR")
        .and_then(|e| e.value.clone())
        .unwrap_or_else(|| panic!("{who}: CK8S_HTTP_ADDR is not set (the default is loopback)"));
    let (host, port) = addr.rsplit_once(':').expect("CK8S_HTTP_ADDR is host:port");
    assert!(
        host == "0.0.0.0" || host == "[::]",
        "{who}: {addr} is unreachable from the kubelet and the Service"
    );
    let port: i32 = port.parse().expect("CK8S_HTTP_ADDR has a numeric port");
    for (probe, path) in [
        (&container.readiness_probe, "/readyz"),
        (&container.liveness_probe, "/livez"),
    ] {
        let get = probe
            .as_ref()
            .and_then(|p| p.http_get.as_ref())
            .unwrap_or_else(|| panic!("{who}: no HTTP probe on {path}"));
        assert_eq!(get.path.as_deref(), Some(path), "{who}: probe path");
        assert_eq!(
            port_of(container, &get.port),
            Some(port),
            "{who}: probe port"
        );
    }
}

fn rules_of(objects: &[Manifest]) -> Vec<(String, &PolicyRule)> {
    objects
        .iter()
        .flat_map(|o| {
            let (what, rules) = match o {
                Manifest::ClusterRole(r) => {
                    (format!("ClusterRole {:?}", r.metadata.name), &r.rules)
                }
                Manifest::Role(r) => (format!("Role {:?}", r.metadata.name), &r.rules),
                _ => return Vec::new(),
            };
            rules
                .iter()
                .flatten()
                .map(move |rule| (what.clone(), rule))
                .collect()
        })
        .collect()
}

fn template_labels(t: &PodTemplateSpec) -> BTreeMap<String, String> {
    t.metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .unwrap_or_default()
}

/// Checks one rendered overlay; returns the kinds it rendered and their counts.
fn check_overlay(dir: &Path, objects: &[Manifest]) -> BTreeMap<&'static str, usize> {
    let overlay = dir.display().to_string();
    let mut kinds = BTreeMap::new();
    let mut templates: Vec<(String, &PodTemplateSpec)> = Vec::new();
    let mut config = BTreeMap::new();
    let mut names = BTreeSet::new();
    for object in objects {
        let meta = object.metadata();
        let name = meta.name.clone().unwrap_or_default();
        let kind: &'static str = match object {
            Manifest::Namespace(_) => "Namespace",
            Manifest::ServiceAccount(_) => "ServiceAccount",
            Manifest::ConfigMap(_) => "ConfigMap",
            Manifest::Service(_) => "Service",
            Manifest::Deployment(_) => "Deployment",
            Manifest::StatefulSet(_) => "StatefulSet",
            Manifest::PodDisruptionBudget(_) => "PodDisruptionBudget",
            Manifest::NetworkPolicy(_) => "NetworkPolicy",
            Manifest::Ingress(_) => "Ingress",
            Manifest::ClusterRole(_) => "ClusterRole",
            Manifest::ClusterRoleBinding(_) => "ClusterRoleBinding",
            Manifest::Role(_) => "Role",
            Manifest::RoleBinding(_) => "RoleBinding",
            Manifest::ScaledObject(_) => "ScaledObject",
            Manifest::TriggerAuthentication(_) => "TriggerAuthentication",
        };
        *kinds.entry(kind).or_insert(0) += 1;
        assert!(
            names.insert((kind, name.clone())),
            "{overlay}: {kind} {name} twice"
        );
        let who = format!("{overlay}: {kind} {name}");
        let labels = meta.labels.clone().unwrap_or_default();
        assert_eq!(
            labels.get(PART_OF).map(String::as_str),
            Some("codex-k8s"),
            "{who}: {PART_OF}"
        );
        if object.cluster_scoped() {
            assert!(
                meta.namespace.is_none(),
                "{who}: cluster-scoped with a namespace"
            );
        } else {
            assert_eq!(
                meta.namespace.as_deref(),
                Some(NAMESPACE),
                "{who}: namespace"
            );
        }
        match object {
            Manifest::Namespace(ns) => {
                assert_eq!(name, NAMESPACE, "{who}: the platform namespace");
                for mode in ["enforce", "audit", "warn"] {
                    let key = format!("pod-security.kubernetes.io/{mode}");
                    assert_eq!(
                        ns.metadata
                            .labels
                            .as_ref()
                            .and_then(|l| l.get(&key))
                            .map(String::as_str),
                        Some("restricted"),
                        "{who}: {key}"
                    );
                }
            }
            Manifest::ConfigMap(map) => {
                for (key, value) in map.data.iter().flatten() {
                    // Names of variables or keys (CK8S_MODEL_API_KEY_ENV, CK8S_TOKEN_KEY_ID) are
                    // settings; anything else secret-sounding belongs in the Secret.
                    assert!(
                        !is_secret_name(key) || key.ends_with("_ENV") || key.ends_with("_KEY_ID"),
                        "{who}: {key} looks like a secret; it belongs in {SECRET}"
                    );
                    config.insert(key.clone(), value.clone());
                }
            }
            Manifest::Deployment(d) => {
                let spec = d.spec.as_ref().expect("a Deployment has a spec");
                templates.push((who.clone(), &spec.template));
            }
            Manifest::StatefulSet(s) => {
                let spec = s.spec.as_ref().expect("a StatefulSet has a spec");
                templates.push((who.clone(), &spec.template));
            }
            _ => {}
        }
    }
    assert_eq!(
        kinds.get("Namespace"),
        Some(&1),
        "{overlay}: renders its namespace"
    );

    for (who, template) in &templates {
        let spec = template.spec.as_ref().expect("a pod template has a spec");
        check_pod(who, spec);
    }

    // The two processes: the right subcommand, probes on the real health endpoints, the worker's
    // grace period above the shutdown grace it is configured with, its downward-API identity.
    let deployment = |name: &str| {
        objects.iter().find_map(|o| match o {
            Manifest::Deployment(d) if d.metadata.name.as_deref() == Some(name) => Some(d.as_ref()),
            _ => None,
        })
    };
    for (name, subcommand) in [("codex-k8s-api", "serve"), ("codex-k8s-worker", "worker")] {
        let d = deployment(name).unwrap_or_else(|| panic!("{overlay}: no Deployment {name}"));
        let pod = d
            .spec
            .as_ref()
            .and_then(|s| s.template.spec.as_ref())
            .expect("a pod spec");
        let main = &pod.containers[0];
        assert_eq!(
            main.image
                .as_deref()
                .and_then(|i| i.rsplit_once(':'))
                .map(|(repo, _)| repo),
            Some(IMAGE),
            "{overlay}: {name} runs the platform image"
        );
        let command: Vec<&str> = main
            .command
            .iter()
            .flatten()
            .chain(main.args.iter().flatten())
            .map(String::as_str)
            .collect();
        assert_eq!(
            command,
            ["codex-k8s", subcommand],
            "{overlay}: {name} command"
        );
        check_probes(&format!("{overlay}: {name}"), main);
        let from_config = main.env_from.iter().flatten().any(|s| {
            s.config_map_ref.as_ref().map(|r| r.name.as_str()) == Some("codex-k8s-config")
        });
        assert!(from_config, "{overlay}: {name} reads codex-k8s-config");
    }
    let worker = deployment("codex-k8s-worker").expect("the worker");
    let worker_pod = worker
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .expect("pod");
    let grace: i64 = config.get("CK8S_SHUTDOWN_GRACE_SECS").map_or(10, |v| {
        v.parse().expect("CK8S_SHUTDOWN_GRACE_SECS is a number")
    });
    let termination = worker_pod.termination_grace_period_seconds.unwrap_or(30);
    assert!(
        termination >= grace + 10,
        "{overlay}: worker terminationGracePeriodSeconds {termination} must exceed CK8S_SHUTDOWN_GRACE_SECS {grace}"
    );
    for (var, field) in [
        ("POD_NAME", "metadata.name"),
        ("POD_UID", "metadata.uid"),
        ("POD_NAMESPACE", "metadata.namespace"),
    ] {
        let found = worker_pod.containers[0].env.iter().flatten().any(|e| {
            e.name == var
                && e.value_from
                    .as_ref()
                    .and_then(|v| v.field_ref.as_ref())
                    .map(|f| f.field_path.as_str())
                    == Some(field)
        });
        assert!(
            found,
            "{overlay}: worker {var} from the downward API ({field})"
        );
    }

    // Every Service selects a pod template and targets one of its ports.
    for object in objects {
        let Manifest::Service(service) = object else {
            continue;
        };
        let name = service.metadata.name.clone().unwrap_or_default();
        let spec = service.spec.as_ref().expect("a Service has a spec");
        let selector = spec.selector.clone().unwrap_or_default();
        let template = templates
            .iter()
            .find(|(_, t)| {
                let labels = template_labels(t);
                !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
            })
            .unwrap_or_else(|| panic!("{overlay}: Service {name} selects no pod template"));
        let pod = template.1.spec.as_ref().expect("a pod spec");
        for port in spec.ports.iter().flatten() {
            let target = port
                .target_port
                .clone()
                .unwrap_or(IntOrString::Int(port.port));
            assert!(
                pod.containers.iter().any(|c| port_of(c, &target).is_some()),
                "{overlay}: Service {name} targets {target:?}, which no container declares"
            );
        }
    }

    // RBAC: never a wildcard; bind/escalate only by name, only on Roles.
    let rules = rules_of(objects);
    for (what, rule) in &rules {
        let lists = [
            ("verbs", Some(&rule.verbs)),
            ("resources", rule.resources.as_ref()),
            ("apiGroups", rule.api_groups.as_ref()),
            ("resourceNames", rule.resource_names.as_ref()),
        ];
        for (field, list) in lists {
            assert!(
                !list.into_iter().flatten().any(|x| x.contains('*')),
                "{overlay}: {what} grants `*` in {field}: {rule:?}"
            );
        }
        assert!(
            rule.non_resource_urls.is_none(),
            "{overlay}: {what} grants non-resource URLs"
        );
        let powerful = rule
            .verbs
            .iter()
            .any(|v| v == "bind" || v == "escalate" || v == "impersonate");
        if powerful {
            assert!(
                rule.resource_names.as_ref().is_some_and(|n| !n.is_empty()),
                "{overlay}: {what} grants bind/escalate without resourceNames: {rule:?}"
            );
            assert_eq!(
                rule.resources.as_deref(),
                Some(&["roles".to_owned()][..]),
                "{overlay}: {what} grants bind/escalate beyond namespaced Roles: {rule:?}"
            );
            assert!(
                !rule.verbs.iter().any(|v| v == "impersonate"),
                "{overlay}: {what} grants impersonate"
            );
        }
    }
    let worker_role = objects
        .iter()
        .find_map(|o| match o {
            Manifest::ClusterRole(r) if r.metadata.name.as_deref() == Some("codex-k8s-worker") => {
                Some(r)
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("{overlay}: no ClusterRole codex-k8s-worker"));
    let grants = |group: &str, resource: &str, verb: &str| {
        worker_role.rules.iter().flatten().any(|r| {
            r.api_groups.iter().flatten().any(|g| g == group)
                && r.resources.iter().flatten().any(|x| x == resource)
                && r.verbs.iter().any(|v| v == verb)
        })
    };
    for (group, resource, verbs) in [
        (
            "",
            "namespaces",
            &["create", "get", "list", "watch", "patch", "delete"][..],
        ),
        ("", "secrets", &["create", "get", "patch", "delete"][..]),
        ("", "configmaps", &["create", "get", "patch", "delete"][..]),
        ("", "serviceaccounts", &["create", "patch"][..]),
        ("", "resourcequotas", &["create", "patch"][..]),
        ("", "limitranges", &["create", "patch"][..]),
        ("", "pods", &["get", "list", "watch"][..]),
        ("", "pods/log", &["get"][..]),
        (
            "batch",
            "jobs",
            &["create", "get", "list", "watch", "delete"][..],
        ),
        (
            "networking.k8s.io",
            "networkpolicies",
            &["create", "patch"][..],
        ),
        (
            "rbac.authorization.k8s.io",
            "roles",
            &["create", "patch", "bind", "escalate"][..],
        ),
        (
            "rbac.authorization.k8s.io",
            "rolebindings",
            &["create", "patch"][..],
        ),
    ] {
        for verb in verbs {
            assert!(
                grants(group, resource, verb),
                "{overlay}: the worker's ClusterRole lacks {verb} on {resource}"
            );
        }
    }
    let bound = objects.iter().any(|o| match o {
        Manifest::ClusterRoleBinding(b) => {
            b.role_ref.name == "codex-k8s-worker"
                && b.subjects.iter().flatten().any(|s| {
                    s.kind == "ServiceAccount"
                        && s.name == "codex-k8s-worker"
                        && s.namespace.as_deref() == Some(NAMESPACE)
                })
        }
        _ => false,
    });
    assert!(
        bound,
        "{overlay}: the worker's ClusterRole is bound to its ServiceAccount"
    );

    // One scaler at a time: with a ScaledObject, nothing may patch deployments/scale and the
    // Deployment leaves its replica count to KEDA's HPA.
    let scaled: Vec<&ScaledObject> = objects
        .iter()
        .filter_map(|o| match o {
            Manifest::ScaledObject(s) => Some(s.as_ref()),
            _ => None,
        })
        .collect();
    let scale_grants = rules
        .iter()
        .filter(|(_, r)| {
            r.resources
                .iter()
                .flatten()
                .any(|x| x == "deployments/scale")
        })
        .filter(|(_, r)| r.verbs.iter().any(|v| v == "patch" || v == "update"))
        .count();
    if scaled.is_empty() {
        assert!(
            scale_grants > 0,
            "{overlay}: no Role lets the built-in scaler patch deployments/scale"
        );
    } else {
        assert_eq!(
            scale_grants, 0,
            "{overlay}: KEDA and the built-in scaler both enabled"
        );
        assert!(
            worker.spec.as_ref().and_then(|s| s.replicas).is_none(),
            "{overlay}: with KEDA the worker Deployment must not set replicas"
        );
        for so in &scaled {
            check_scaled_object(&overlay, so, objects);
        }
    }
    kinds
}

fn check_scaled_object(overlay: &str, so: &ScaledObject, objects: &[Manifest]) {
    let spec = &so.spec;
    assert_eq!(
        spec.scale_target_ref.name, "codex-k8s-worker",
        "{overlay}: KEDA scales the worker"
    );
    assert_eq!(
        spec.min_replica_count,
        Some(1),
        "{overlay}: KEDA minReplicaCount"
    );
    assert_eq!(
        spec.max_replica_count,
        Some(8),
        "{overlay}: KEDA maxReplicaCount"
    );
    assert_eq!(
        spec.cooldown_period,
        Some(300),
        "{overlay}: KEDA cooldownPeriod"
    );
    let [trigger] = spec.triggers.as_slice() else {
        panic!("{overlay}: one KEDA trigger");
    };
    assert_eq!(
        trigger.type_, "postgresql",
        "{overlay}: the trigger reads Postgres"
    );
    for key in trigger.metadata.keys() {
        assert!(
            POSTGRESQL_TRIGGER_KEYS.contains(&key.as_str()),
            "{overlay}: the postgresql trigger has no metadata {key}"
        );
    }
    assert_eq!(
        trigger.metadata.get("targetQueryValue").map(String::as_str),
        Some("20"),
        "{overlay}: targetQueryValue"
    );
    let query = trigger.metadata.get("query").expect("the trigger's query");
    assert!(
        query.contains("workflow_tasks"),
        "{overlay}: the query counts engine tasks"
    );
    let auth = trigger
        .authentication_ref
        .as_ref()
        .expect("the trigger authenticates through a TriggerAuthentication");
    let found = objects.iter().any(|o| match o {
        Manifest::TriggerAuthentication(t) => {
            t.metadata.name.as_deref() == Some(auth.name.as_str())
                && t.spec.secret_target_ref.iter().any(|r| {
                    r.parameter == "connection" && r.name == SECRET && r.key == "DATABASE_URL"
                })
        }
        _ => false,
    });
    assert!(
        found,
        "{overlay}: TriggerAuthentication {} reads DATABASE_URL from {SECRET}",
        auth.name
    );
}

#[test]
fn every_overlay_renders_strictly_typed_and_locked_down() {
    let root = deploy_dir();
    let mut found = BTreeMap::new();
    kustomizations(&root, &mut found);
    let is_component = |v: &Value| v["kind"].as_str() == Some("Component");
    let mut included = BTreeSet::new();
    for (dir, kustomization) in &found {
        for component in kustomization["components"].as_array().into_iter().flatten() {
            let path = dir.join(component.as_str().expect("a component path"));
            included.insert(path.canonicalize().expect("an included component exists"));
        }
    }
    let mut report = Vec::new();
    for (dir, kustomization) in &found {
        let relative = dir
            .strip_prefix(&root)
            .expect("under deploy/")
            .display()
            .to_string();
        if is_component(kustomization) {
            assert!(
                included.contains(dir),
                "Component deploy/{relative} is included by no overlay, so nothing renders it"
            );
            continue;
        }
        let objects = render(dir);
        let kinds = check_overlay(Path::new(&format!("deploy/{relative}")), &objects);
        report.push(format!(
            "deploy/{relative}: {} objects {kinds:?}",
            objects.len()
        ));
    }
    for expected in ["base", "production", "production-keda"] {
        assert!(
            report
                .iter()
                .any(|line| line.starts_with(&format!("deploy/{expected}:"))),
            "deploy/{expected} was not rendered"
        );
    }
    for component in ["postgres", "keda"] {
        assert!(
            found.get(&root.join(component)).is_some_and(is_component),
            "deploy/{component} is a kustomize Component"
        );
    }
    println!("{}", report.join("\n"));
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// KEDA's query runs on the real schema, returns one integer, and names only task states the
/// engine's check constraint allows (a misspelt state would silently count nothing).
#[tokio::test]
async fn keda_query_runs_on_the_engine_schema() {
    let objects = render(&deploy_dir().join("production-keda"));
    let query = objects
        .iter()
        .find_map(|o| match o {
            Manifest::ScaledObject(s) => s.spec.triggers[0].metadata.get("query").cloned(),
            _ => None,
        })
        .expect("production-keda renders the ScaledObject's query");
    let databases = testkit::test_database::TestDatabases::start(&MIGRATOR)
        .await
        .expect("a migrated test database server");
    let url = databases.fresh().await.expect("a fresh database");
    let pool = sqlx::PgPool::connect(&url).await.expect("connect");
    let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(query.clone()))
        .fetch_one(&pool)
        .await
        .unwrap_or_else(|e| panic!("KEDA's query fails on the schema: {e}\n{query}"));
    assert_eq!(count, 0, "an empty database has no work");
    let check: String = sqlx::query_scalar(
        "select pg_get_constraintdef(oid) from pg_constraint where conname = 'workflow_tasks_state_check'",
    )
    .fetch_one(&pool)
    .await
    .expect("the task state constraint");
    let states: Vec<&str> = query.split('\'').skip(1).step_by(2).collect();
    assert!(!states.is_empty(), "the query names task states: {query}");
    for state in states {
        assert!(
            check.contains(&format!("'{state}'")),
            "the query counts state {state:?}, which workflow_tasks never holds: {check}"
        );
    }
    pool.close().await;
}
