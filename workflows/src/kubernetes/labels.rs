//! The labels and annotations the platform puts on what it creates in the cluster. Every
//! deletion checks [`MANAGED_BY`] first: the platform never touches an object it did not create.

/// Marks an object as created by the platform.
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// The value of [`MANAGED_BY`].
pub const MANAGER: &str = "codex-k8s";
/// Marks the platform's own environment (`ai-staging`, `prod`): never deleted, view-only.
pub const PART_OF: &str = "app.kubernetes.io/part-of";
/// The value of [`PART_OF`].
pub const PART_OF_VALUE: &str = "codex-k8s";
/// `app.kubernetes.io/name` of agent Jobs and Pods.
pub const NAME: &str = "app.kubernetes.io/name";
/// `app.kubernetes.io/component`: `run-namespace`, `agent`.
pub const COMPONENT: &str = "app.kubernetes.io/component";
/// The stage run (engine run id) an object serves.
pub const RUN_ID: &str = "codex-k8s.io/run-id";
/// The project (id) of the run.
pub const PROJECT: &str = "codex-k8s.io/project";
/// The Issue or pull request number the run works on.
pub const ISSUE: &str = "codex-k8s.io/issue";
/// The agent role.
pub const ROLE: &str = "codex-k8s.io/role";
/// `full-env` or `code-only`.
pub const MODE: &str = "codex-k8s.io/runtime-mode";
/// The launch attempt of an agent Job.
pub const ATTEMPT: &str = "codex-k8s.io/attempt";
/// When the namespace was first created for its (project, issue, role), RFC 3339.
pub const LEASE_CREATED: &str = "codex-k8s.io/lease-created-at";
/// When the namespace's lease ends, RFC 3339: cleanup deletes it after that when no run is active.
pub const LEASE_EXPIRES: &str = "codex-k8s.io/lease-expires-at";
/// The lease's length in seconds.
pub const LEASE_TTL: &str = "codex-k8s.io/lease-ttl-seconds";
/// The field manager of every server-side apply of the platform.
pub const FIELD_MANAGER: &str = "codex-k8s";
