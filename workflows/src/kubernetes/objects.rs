//! The objects of a run namespace and of an agent launch, built as typed `k8s-openapi` values.
//! Builders only: nothing here talks to a cluster (see `runtime.rs`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use k8s_openapi::{
    api::{
        batch::v1::{Job, JobSpec},
        core::v1::{
            Capabilities, ConfigMap, ConfigMapVolumeSource, Container, EmptyDirVolumeSource,
            EnvVar, EnvVarSource, LimitRange, LimitRangeItem, LimitRangeSpec, Namespace,
            PodSecurityContext, PodSpec, PodTemplateSpec, ResourceQuota, ResourceQuotaSpec,
            ResourceRequirements, SeccompProfile, Secret, SecretKeySelector, SecurityContext,
            ServiceAccount, Volume, VolumeMount,
        },
        networking::v1::{
            IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule,
            NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec,
        },
        rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject},
    },
    apimachinery::pkg::{
        api::resource::Quantity,
        apis::meta::v1::{LabelSelector, ObjectMeta},
        util::intstr::IntOrString,
    },
};
use uuid::Uuid;

use super::{
    labels::*,
    names,
    settings::{Egress, KubeSettings},
};
use crate::policy::{AccessProfile, ExecutionMode};

/// The ServiceAccount agents run as in a run namespace.
pub const AGENT_SERVICE_ACCOUNT: &str = "codex-agent";
/// The Role (and RoleBinding) of the run's access profile.
pub const AGENT_ROLE: &str = "codex-agent";
/// The run namespace's ResourceQuota.
pub const QUOTA: &str = "codex-quota";
/// The run namespace's LimitRange.
pub const LIMITS: &str = "codex-limits";
/// The NetworkPolicy denying all traffic not allowed by another policy.
pub const DENY_ALL: &str = "default-deny";
/// The NetworkPolicy allowing DNS, the platform, the namespace itself and the configured egress.
pub const ALLOW: &str = "codex-allow";
/// The key of the run token in a launch's Secret.
pub const RUN_TOKEN_KEY: &str = "run-token";
/// The key of the model API key in a launch's Secret.
pub const MODEL_KEY_KEY: &str = "model-api-key";
/// Where the agent's checkout lives in its pod.
pub const WORKSPACE: &str = "/workspace";
/// The agent's user and group id (non-root).
pub const AGENT_UID: i64 = 10001;

/// Who a run namespace is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceFor {
    /// The stage run that uses it now.
    pub run_id: Uuid,
    /// Project id.
    pub project: Uuid,
    /// Issue or pull request number.
    pub issue: u64,
    /// Agent role.
    pub role: String,
    /// `full-env` or `code-only`.
    pub mode: ExecutionMode,
    /// The RBAC profile.
    pub profile: AccessProfile,
}

/// A namespace's lease: when it was first created, when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    /// First creation (kept across revise reuse).
    pub created: DateTime<Utc>,
    /// End of the lease (extended by each run that uses the namespace).
    pub expires: DateTime<Utc>,
}

fn map<const N: usize>(pairs: [(&str, String); N]) -> BTreeMap<String, String> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn mode_value(mode: ExecutionMode) -> &'static str {
    match mode {
        ExecutionMode::FullEnv => "full-env",
        ExecutionMode::CodeOnly => "code-only",
    }
}

fn meta(name: &str, namespace: &str, labels: BTreeMap<String, String>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: Some(namespace.to_owned()),
        labels: Some(labels),
        ..ObjectMeta::default()
    }
}

fn managed() -> BTreeMap<String, String> {
    map([(MANAGED_BY, MANAGER.to_owned())])
}

/// The namespace, its labels (managed-by, run, project, issue, role, mode, Pod Security
/// Admission `restricted`, and `part-of` when the environment says so) and lease annotations.
pub fn namespace(name: &str, who: &NamespaceFor, lease: Lease, s: &KubeSettings) -> Namespace {
    let mut labels = map([
        (MANAGED_BY, MANAGER.to_owned()),
        (COMPONENT, "run-namespace".to_owned()),
        (RUN_ID, who.run_id.to_string()),
        (PROJECT, who.project.to_string()),
        (ISSUE, who.issue.to_string()),
        (ROLE, names::dns_label(&who.role)),
        (MODE, mode_value(who.mode).to_owned()),
        (
            "pod-security.kubernetes.io/enforce",
            "restricted".to_owned(),
        ),
        (
            "pod-security.kubernetes.io/enforce-version",
            "latest".to_owned(),
        ),
        ("pod-security.kubernetes.io/warn", "restricted".to_owned()),
        ("pod-security.kubernetes.io/audit", "restricted".to_owned()),
    ]);
    if s.part_of {
        labels.insert(PART_OF.to_owned(), PART_OF_VALUE.to_owned());
    }
    let ttl = (lease.expires - lease.created).num_seconds().max(0);
    let annotations = map([
        (LEASE_CREATED, lease.created.to_rfc3339()),
        (LEASE_EXPIRES, lease.expires.to_rfc3339()),
        (LEASE_TTL, ttl.to_string()),
    ]);
    Namespace {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            labels: Some(labels),
            annotations: Some(annotations),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    }
}

/// The agents' ServiceAccount; its token is mounted only into pods whose profile uses the API.
pub fn service_account(namespace: &str) -> ServiceAccount {
    ServiceAccount {
        metadata: meta(AGENT_SERVICE_ACCOUNT, namespace, managed()),
        automount_service_account_token: Some(false),
        ..ServiceAccount::default()
    }
}

fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
    let owned = |xs: &[&str]| xs.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    PolicyRule {
        api_groups: Some(owned(groups)),
        resources: Some(owned(resources)),
        verbs: owned(verbs),
        ..PolicyRule::default()
    }
}

const ALL_VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
];
const READ: &[&str] = &["get", "list", "watch"];

/// The rules of an access profile. `candidate`: what an engineer needs for runtime diagnostics
/// and for running the stack in the namespace (workloads, services, configmaps, jobs, logs, exec,
/// port-forward), never `secrets`; `production-readonly`: get/list/watch and logs only.
/// Resources are always named: a wildcard would include `secrets`.
pub fn rules(profile: AccessProfile) -> Vec<PolicyRule> {
    let core = [
        "pods",
        "services",
        "endpoints",
        "configmaps",
        "events",
        "persistentvolumeclaims",
        "serviceaccounts",
        "replicationcontrollers",
        "resourcequotas",
        "limitranges",
    ];
    let apps = [
        "deployments",
        "statefulsets",
        "replicasets",
        "daemonsets",
        "deployments/scale",
        "statefulsets/scale",
    ];
    let batch = ["jobs", "cronjobs"];
    let others: [(&str, &[&str]); 3] = [
        ("autoscaling", &["horizontalpodautoscalers"]),
        ("networking.k8s.io", &["ingresses"]),
        ("policy", &["poddisruptionbudgets"]),
    ];
    match profile {
        AccessProfile::Candidate => {
            let mut rules = vec![
                rule(&[""], &core, ALL_VERBS),
                rule(&[""], &["pods/log"], &["get", "list", "watch"]),
                rule(
                    &[""],
                    &["pods/exec", "pods/portforward", "pods/attach"],
                    &["create", "get"],
                ),
                rule(&["apps"], &apps, ALL_VERBS),
                rule(&["batch"], &batch, ALL_VERBS),
            ];
            rules.extend(others.iter().map(|(g, r)| rule(&[g], r, ALL_VERBS)));
            rules
        }
        AccessProfile::ProductionReadonly => {
            let mut rules = vec![
                rule(&[""], &core, READ),
                rule(&[""], &["pods/log"], &["get"]),
                rule(&["apps"], &apps[..4], READ),
                rule(&["batch"], &batch, READ),
            ];
            rules.extend(others.iter().map(|(g, r)| rule(&[g], r, READ)));
            rules
        }
    }
}

/// The Role of `profile` in `namespace`.
pub fn role(namespace: &str, name: &str, profile: AccessProfile) -> Role {
    Role {
        metadata: meta(name, namespace, managed()),
        rules: Some(rules(profile)),
    }
}

/// Binds the Role `name` in `namespace` to the agents' ServiceAccount of `agent_namespace`.
pub fn role_binding(namespace: &str, name: &str, agent_namespace: &str) -> RoleBinding {
    RoleBinding {
        metadata: meta(name, namespace, managed()),
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "Role".into(),
            name: name.to_owned(),
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".into(),
            name: AGENT_SERVICE_ACCOUNT.into(),
            namespace: Some(agent_namespace.to_owned()),
            ..Subject::default()
        }]),
    }
}

fn quantities<const N: usize>(pairs: [(&str, &str); N]) -> BTreeMap<String, Quantity> {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_owned(), Quantity(v.to_owned())))
        .collect()
}

/// The namespace's ResourceQuota: pods, CPU and memory, no LoadBalancer or NodePort services.
pub fn resource_quota(namespace: &str, s: &KubeSettings) -> ResourceQuota {
    let q = &s.quota;
    let pods = q.pods.to_string();
    ResourceQuota {
        metadata: meta(QUOTA, namespace, managed()),
        spec: Some(ResourceQuotaSpec {
            hard: Some(quantities([
                ("pods", pods.as_str()),
                ("requests.cpu", &q.requests_cpu),
                ("requests.memory", &q.requests_memory),
                ("limits.cpu", &q.limits_cpu),
                ("limits.memory", &q.limits_memory),
                ("services.loadbalancers", "0"),
                ("services.nodeports", "0"),
            ])),
            ..ResourceQuotaSpec::default()
        }),
        ..ResourceQuota::default()
    }
}

/// The namespace's LimitRange: defaults for containers that set none (the quota needs them), and
/// no container larger than the agent's own limit.
pub fn limit_range(namespace: &str, s: &KubeSettings) -> LimitRange {
    let r = &s.agent_resources;
    LimitRange {
        metadata: meta(LIMITS, namespace, managed()),
        spec: Some(LimitRangeSpec {
            limits: vec![LimitRangeItem {
                type_: "Container".into(),
                default: Some(quantities([("cpu", "500m"), ("memory", "512Mi")])),
                default_request: Some(quantities([("cpu", "100m"), ("memory", "128Mi")])),
                max: Some(quantities([
                    ("cpu", &r.cpu_limit),
                    ("memory", &r.memory_limit),
                ])),
                ..LimitRangeItem::default()
            }],
        }),
    }
}

/// Denies every ingress and egress of every pod of the namespace not allowed by [`allow_policy`].
pub fn deny_all_policy(namespace: &str) -> NetworkPolicy {
    NetworkPolicy {
        metadata: meta(DENY_ALL, namespace, managed()),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector::default()),
            policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
            ..NetworkPolicySpec::default()
        }),
    }
}

fn tcp(port: u16) -> NetworkPolicyPort {
    NetworkPolicyPort {
        protocol: Some("TCP".into()),
        port: Some(IntOrString::Int(i32::from(port))),
        ..NetworkPolicyPort::default()
    }
}

fn ip_rule(e: &Egress) -> NetworkPolicyEgressRule {
    NetworkPolicyEgressRule {
        to: Some(vec![NetworkPolicyPeer {
            ip_block: Some(IPBlock {
                cidr: e.cidr.clone(),
                except: (!e.except.is_empty()).then(|| e.except.clone()),
            }),
            ..NetworkPolicyPeer::default()
        }]),
        ports: Some(e.ports.iter().copied().map(tcp).collect()),
    }
}

fn namespace_peer(name: &str, pods: Option<BTreeMap<String, String>>) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        namespace_selector: Some(LabelSelector {
            match_labels: Some(map([("kubernetes.io/metadata.name", name.to_owned())])),
            ..LabelSelector::default()
        }),
        pod_selector: pods.map(|labels| LabelSelector {
            match_labels: Some(labels),
            ..LabelSelector::default()
        }),
        ..NetworkPolicyPeer::default()
    }
}

/// What the namespace's pods may reach: each other, DNS, the platform API/MCP service, the API
/// server (when the profile uses it) and the configured egress. Ingress only from the namespace.
pub fn allow_policy(namespace: &str, uses_api: bool, s: &KubeSettings) -> NetworkPolicy {
    let same_namespace = NetworkPolicyPeer {
        pod_selector: Some(LabelSelector::default()),
        ..NetworkPolicyPeer::default()
    };
    let dns_ports = ["UDP", "TCP"].map(|protocol| NetworkPolicyPort {
        protocol: Some(protocol.into()),
        port: Some(IntOrString::Int(53)),
        ..NetworkPolicyPort::default()
    });
    let mut egress = vec![
        NetworkPolicyEgressRule {
            to: Some(vec![same_namespace.clone()]),
            ports: None,
        },
        NetworkPolicyEgressRule {
            to: Some(vec![namespace_peer(
                "kube-system",
                Some(map([("k8s-app", "kube-dns".to_owned())])),
            )]),
            ports: Some(dns_ports.to_vec()),
        },
        NetworkPolicyEgressRule {
            to: Some(vec![namespace_peer(&s.platform_namespace, None)]),
            ports: Some(vec![tcp(s.platform_port)]),
        },
    ];
    if uses_api && let Some(api) = &s.api_server {
        egress.push(ip_rule(api));
    }
    egress.extend(s.egress.iter().map(ip_rule));
    NetworkPolicy {
        metadata: meta(ALLOW, namespace, managed()),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector::default()),
            policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
            ingress: Some(vec![NetworkPolicyIngressRule {
                from: Some(vec![same_namespace]),
                ports: None,
            }]),
            egress: Some(egress),
        }),
    }
}

/// Every object of a run namespace, in the order they are applied: the namespace, the agents'
/// ServiceAccount, the profile's Role and RoleBinding (`full-env` only: `code-only` agents get no
/// API access), the quota, the limits and the two network policies.
pub struct NamespaceObjects {
    /// The namespace.
    pub namespace: Namespace,
    /// The agents' ServiceAccount.
    pub service_account: ServiceAccount,
    /// Role and RoleBinding, in the run namespace or (for `production-readonly`) also in production.
    pub rbac: Vec<(Role, RoleBinding)>,
    /// The ResourceQuota.
    pub quota: ResourceQuota,
    /// The LimitRange.
    pub limits: LimitRange,
    /// Default deny, then the allowed traffic.
    pub policies: [NetworkPolicy; 2],
}

/// Whether agents of `who` talk to the Kubernetes API (and so get a token and a Role).
pub fn uses_api(who: &NamespaceFor) -> bool {
    who.mode == ExecutionMode::FullEnv
}

/// The objects of the run namespace `name` for `who`.
pub fn namespace_objects(
    name: &str,
    who: &NamespaceFor,
    lease: Lease,
    s: &KubeSettings,
) -> NamespaceObjects {
    let api = uses_api(who);
    let mut rbac = Vec::new();
    if api {
        rbac.push((
            role(name, AGENT_ROLE, who.profile),
            role_binding(name, AGENT_ROLE, name),
        ));
        if who.profile == AccessProfile::ProductionReadonly
            && let Some(prod) = &s.production_namespace
        {
            let binding = names::dns_label(&format!("codex-readonly-{name}"));
            rbac.push((
                role(prod, &binding, AccessProfile::ProductionReadonly),
                role_binding(prod, &binding, name),
            ));
        }
    }
    NamespaceObjects {
        namespace: namespace(name, who, lease, s),
        service_account: service_account(name),
        rbac,
        quota: resource_quota(name, s),
        limits: limit_range(name, s),
        policies: [deny_all_policy(name), allow_policy(name, api, s)],
    }
}

/// One launch of an agent: what its Job needs.
#[derive(Debug, Clone)]
pub struct Launch<'a> {
    /// Namespace of the Job.
    pub namespace: &'a str,
    /// The Job's name ([`names::agent_job`]).
    pub job: &'a str,
    /// Stage run.
    pub run_id: Uuid,
    /// Launch attempt.
    pub attempt: u32,
    /// Agent role.
    pub role: &'a str,
    /// Whether the pod gets the ServiceAccount's token (the profile uses the API).
    pub uses_api: bool,
    /// Clone URL and the branches to check out; none: an empty workspace.
    pub checkout: Option<(&'a str, &'a str)>,
    /// The work branch.
    pub branch: &'a str,
    /// Plain (non-secret) variables: run metadata, platform URL, model settings.
    pub env: Vec<(String, String)>,
    /// The variable the model key goes into, if the agent gets one.
    pub model_key_var: Option<&'a str>,
}

fn agent_labels(l: &Launch<'_>) -> BTreeMap<String, String> {
    map([
        (MANAGED_BY, MANAGER.to_owned()),
        (NAME, "codex-agent".to_owned()),
        (COMPONENT, "agent".to_owned()),
        (RUN_ID, l.run_id.to_string()),
        (ATTEMPT, l.attempt.to_string()),
        (ROLE, names::dns_label(l.role)),
    ])
}

/// The launch's Secret: the run token and (when configured) the model key; the pod reads them
/// with `secretKeyRef`, so no secret value is ever in a pod spec.
pub fn credentials(l: &Launch<'_>, run_token: &str, model_key: Option<&str>) -> Secret {
    let mut data = BTreeMap::from([(RUN_TOKEN_KEY.to_owned(), run_token.to_owned())]);
    if let Some(key) = model_key {
        data.insert(MODEL_KEY_KEY.to_owned(), key.to_owned());
    }
    Secret {
        metadata: meta(&names::agent_secret(l.job), l.namespace, agent_labels(l)),
        string_data: Some(data),
        type_: Some("Opaque".into()),
        immutable: Some(true),
        ..Secret::default()
    }
}

/// The launch's prompt, mounted as a file (not secret, but too large for an env variable).
pub fn prompt(l: &Launch<'_>, text: &str) -> ConfigMap {
    ConfigMap {
        metadata: meta(&names::agent_prompt(l.job), l.namespace, agent_labels(l)),
        data: Some(BTreeMap::from([("prompt.md".to_owned(), text.to_owned())])),
        immutable: Some(true),
        ..ConfigMap::default()
    }
}

fn secret_env(name: &str, secret: &str, key: &str) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: secret.to_owned(),
                key: key.to_owned(),
                optional: Some(false),
            }),
            ..EnvVarSource::default()
        }),
        ..EnvVar::default()
    }
}

fn plain(name: &str, value: &str) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value: Some(value.to_owned()),
        ..EnvVar::default()
    }
}

fn restricted() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        read_only_root_filesystem: Some(true),
        run_as_non_root: Some(true),
        run_as_user: Some(AGENT_UID),
        run_as_group: Some(AGENT_UID),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".into()]),
            ..Capabilities::default()
        }),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".into(),
            ..SeccompProfile::default()
        }),
        ..SecurityContext::default()
    }
}

fn mount(name: &str, path: &str, read_only: bool) -> VolumeMount {
    VolumeMount {
        name: name.into(),
        mount_path: path.into(),
        read_only: read_only.then_some(true),
        ..VolumeMount::default()
    }
}

fn empty_dir(name: &str) -> Volume {
    Volume {
        name: name.into(),
        empty_dir: Some(EmptyDirVolumeSource::default()),
        ..Volume::default()
    }
}

/// The checkout the init container makes: a clone of the work branch if it exists, else a new
/// work branch from the default branch; the base commit is written next to the checkout.
///
/// git asks `codex-k8s git-credential` for a credential when the host wants one: it exchanges the
/// run token for the repository's read credential, once, and git keeps it in memory for this
/// clone only (`-c` is not written to the checkout's config). Afterwards the credential is spent
/// in any case, so the agent cannot ask for it (ADR 0027).
const CHECKOUT_SCRIPT: &str = r#"set -eu
git -c credential.helper= -c 'credential.helper=!codex-k8s git-credential' \
  clone --quiet --no-tags "$CK8S_CLONE_URL" /workspace/repo
codex-k8s git-credential get </dev/null >/dev/null 2>&1 || true
cd /workspace/repo
if git rev-parse --verify --quiet "refs/remotes/origin/$CK8S_BRANCH" >/dev/null; then
  git checkout --quiet -B "$CK8S_BRANCH" "origin/$CK8S_BRANCH"
else
  git checkout --quiet -B "$CK8S_BRANCH" "origin/$CK8S_DEFAULT_BRANCH"
fi
git rev-parse HEAD > /workspace/base"#;

/// The agent Job: `backoffLimit: 0` (the workflow decides on retries), `ttlSecondsAfterFinished`,
/// no `activeDeadlineSeconds` (the run's budget is the engine's, which pauses), a non-root pod
/// with a read-only root filesystem and seccomp `RuntimeDefault`, the ServiceAccount token only
/// when the profile uses the API, the run token and model key by `secretKeyRef`.
pub fn agent_job(l: &Launch<'_>, s: &KubeSettings) -> Job {
    let labels = agent_labels(l);
    let secret = names::agent_secret(l.job);
    let mut env: Vec<EnvVar> = l.env.iter().map(|(k, v)| plain(k, v)).collect();
    env.extend([
        plain("HOME", "/home/agent"),
        plain("TMPDIR", "/tmp"),
        plain("CK8S_PROMPT_FILE", "/run/codex-k8s/prompt/prompt.md"),
        plain("CK8S_RESULT_FILE", "/workspace/result.json"),
        secret_env("CK8S_RUN_TOKEN", &secret, RUN_TOKEN_KEY),
    ]);
    if let Some(var) = l.model_key_var {
        env.push(secret_env(var, &secret, MODEL_KEY_KEY));
    }
    let r = &s.agent_resources;
    let resources = ResourceRequirements {
        requests: Some(quantities([
            ("cpu", &r.cpu_request),
            ("memory", &r.memory_request),
        ])),
        limits: Some(quantities([
            ("cpu", &r.cpu_limit),
            ("memory", &r.memory_limit),
        ])),
        ..ResourceRequirements::default()
    };
    let workspace = mount("workspace", WORKSPACE, false);
    let init = l.checkout.map(|(url, default_branch)| Container {
        name: "checkout".into(),
        image: Some(s.runner_image.clone()),
        command: Some(vec!["/bin/sh".into(), "-c".into(), CHECKOUT_SCRIPT.into()]),
        env: Some(
            [
                plain("CK8S_CLONE_URL", url),
                plain("CK8S_BRANCH", l.branch),
                plain("CK8S_DEFAULT_BRANCH", default_branch),
                plain("HOME", "/tmp"),
                secret_env("CK8S_RUN_TOKEN", &secret, RUN_TOKEN_KEY),
            ]
            .into_iter()
            .chain(
                l.env
                    .iter()
                    .filter(|(k, _)| k == "CK8S_PLATFORM_URL")
                    .map(|(k, v)| plain(k, v)),
            )
            .collect(),
        ),
        resources: Some(resources.clone()),
        security_context: Some(restricted()),
        volume_mounts: Some(vec![workspace.clone(), mount("tmp", "/tmp", false)]),
        ..Container::default()
    });
    let agent = Container {
        name: "agent".into(),
        image: Some(s.runner_image.clone()),
        command: Some(vec!["codex-k8s".into(), "agent-runner".into()]),
        working_dir: Some(format!("{WORKSPACE}/repo")),
        env: Some(env),
        resources: Some(resources),
        security_context: Some(restricted()),
        volume_mounts: Some(vec![
            workspace,
            mount("home", "/home/agent", false),
            mount("tmp", "/tmp", false),
            mount("prompt", "/run/codex-k8s/prompt", true),
        ]),
        termination_message_policy: Some("FallbackToLogsOnError".into()),
        ..Container::default()
    };
    let ttl = i32::try_from(s.job_ttl_after_finished.as_secs()).unwrap_or(i32::MAX);
    Job {
        metadata: meta(l.job, l.namespace, labels.clone()),
        spec: Some(JobSpec {
            backoff_limit: Some(0),
            ttl_seconds_after_finished: Some(ttl),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    restart_policy: Some("Never".into()),
                    service_account_name: Some(AGENT_SERVICE_ACCOUNT.into()),
                    automount_service_account_token: Some(l.uses_api),
                    enable_service_links: Some(false),
                    security_context: Some(PodSecurityContext {
                        run_as_non_root: Some(true),
                        run_as_user: Some(AGENT_UID),
                        run_as_group: Some(AGENT_UID),
                        fs_group: Some(AGENT_UID),
                        seccomp_profile: Some(SeccompProfile {
                            type_: "RuntimeDefault".into(),
                            ..SeccompProfile::default()
                        }),
                        ..PodSecurityContext::default()
                    }),
                    init_containers: init.map(|c| vec![c]),
                    containers: vec![agent],
                    volumes: Some(vec![
                        empty_dir("workspace"),
                        empty_dir("home"),
                        empty_dir("tmp"),
                        Volume {
                            name: "prompt".into(),
                            config_map: Some(ConfigMapVolumeSource {
                                name: names::agent_prompt(l.job),
                                ..ConfigMapVolumeSource::default()
                            }),
                            ..Volume::default()
                        },
                    ]),
                    ..PodSpec::default()
                }),
            },
            ..JobSpec::default()
        }),
        ..Job::default()
    }
}
