//! What the Kubernetes runtime is configured with (from `CK8S_KUBE_*`, read by the binary).

use std::{collections::BTreeMap, time::Duration};

/// CPU and memory of a container, as Kubernetes quantities (`500m`, `2Gi`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resources {
    /// CPU request.
    pub cpu_request: String,
    /// Memory request.
    pub memory_request: String,
    /// CPU limit.
    pub cpu_limit: String,
    /// Memory limit.
    pub memory_limit: String,
}

/// The ResourceQuota of every run namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quota {
    /// At most this many pods.
    pub pods: u32,
    /// Sum of CPU requests.
    pub requests_cpu: String,
    /// Sum of memory requests.
    pub requests_memory: String,
    /// Sum of CPU limits.
    pub limits_cpu: String,
    /// Sum of memory limits.
    pub limits_memory: String,
}

/// An egress destination agents may reach besides DNS and the platform: a CIDR (the model API,
/// the code host) and its TCP ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Egress {
    /// Destination network, e.g. `0.0.0.0/0`.
    pub cidr: String,
    /// Networks carved out of `cidr` (the cluster's own ranges).
    pub except: Vec<String>,
    /// TCP ports.
    pub ports: Vec<u16>,
}

/// The Kubernetes runtime's configuration.
#[derive(Debug, Clone)]
pub struct KubeSettings {
    /// Prefix of every namespace the runtime creates (`codex-`).
    pub namespace_prefix: String,
    /// The namespace of the platform's API and MCP service (agents' only in-cluster egress).
    pub platform_namespace: String,
    /// The platform API's port there.
    pub platform_port: u16,
    /// Where the Kubernetes API server is, for the egress of profiles that use it (`candidate`,
    /// `production-readonly`): its CIDR and ports. None: no egress to it.
    pub api_server: Option<Egress>,
    /// The runner image (`codex-k8s agent-runner` and git inside).
    pub runner_image: String,
    /// The agent container's resources.
    pub agent_resources: Resources,
    /// The ResourceQuota of each run namespace.
    pub quota: Quota,
    /// Lease of a run namespace, per agent role; `default_lease` for other roles.
    pub role_leases: BTreeMap<String, Duration>,
    /// Lease of a run namespace whose role has none in `role_leases` (24 h).
    pub default_lease: Duration,
    /// How long a finished Job stays (`ttlSecondsAfterFinished`) for inspection.
    pub job_ttl_after_finished: Duration,
    /// Egress beyond DNS and the platform.
    pub egress: Vec<Egress>,
    /// Whether run namespaces carry `app.kubernetes.io/part-of=codex-k8s` (the environment's
    /// config says so for `ai-staging` and `prod`; ai slots omit it).
    pub part_of: bool,
    /// The production namespace a `production-readonly` run may read.
    pub production_namespace: Option<String>,
    /// Which namespaces are `ai-staging` and `prod`, for the guardrails.
    pub environments: super::guardrails::Environments,
    /// The variable the agent reads its model API key from (`CK8S_MODEL_API_KEY_ENV`), and the
    /// key itself, as the worker holds it; it reaches the pod only through a Secret (and never
    /// a `Debug` line).
    pub model_key: Option<(String, crate::github::Token)>,
    /// Variables the agent gets as plain values (model base URL, tool timeouts; never secrets).
    pub agent_env: Vec<(String, String)>,
    /// How many lines of an agent pod's log are kept with the run.
    pub log_tail_lines: i64,
    /// Timeout of every call to the API server.
    pub call_timeout: Duration,
}

impl Default for KubeSettings {
    fn default() -> Self {
        Self {
            namespace_prefix: "codex-".into(),
            platform_namespace: "codex-k8s".into(),
            platform_port: 8080,
            api_server: None,
            runner_image: "ghcr.io/codex-k8s/codex-k8s:latest".into(),
            agent_resources: Resources {
                cpu_request: "500m".into(),
                memory_request: "1Gi".into(),
                cpu_limit: "2".into(),
                memory_limit: "4Gi".into(),
            },
            quota: Quota {
                pods: 20,
                requests_cpu: "4".into(),
                requests_memory: "8Gi".into(),
                limits_cpu: "8".into(),
                limits_memory: "16Gi".into(),
            },
            role_leases: BTreeMap::new(),
            default_lease: Duration::from_secs(24 * 3600),
            job_ttl_after_finished: Duration::from_secs(600),
            egress: vec![Egress {
                cidr: "0.0.0.0/0".into(),
                except: vec![
                    "10.0.0.0/8".into(),
                    "172.16.0.0/12".into(),
                    "192.168.0.0/16".into(),
                ],
                ports: vec![443],
            }],
            part_of: false,
            production_namespace: None,
            environments: super::guardrails::Environments::default(),
            model_key: None,
            agent_env: Vec::new(),
            log_tail_lines: 200,
            call_timeout: Duration::from_secs(30),
        }
    }
}

impl KubeSettings {
    /// The lease of a run namespace of `role`.
    pub fn lease_for(&self, role: &str) -> Duration {
        self.role_leases
            .get(role)
            .copied()
            .unwrap_or(self.default_lease)
    }
}
