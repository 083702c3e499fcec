//! The resource types the fake serves: one static table, read by routing, discovery and the store.

/// Verbs of an ordinary resource, as discovery lists them.
const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// One served resource type.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Resource {
    /// API group, empty for core.
    pub(super) group: &'static str,
    pub(super) version: &'static str,
    pub(super) kind: &'static str,
    pub(super) plural: &'static str,
    pub(super) singular: &'static str,
    pub(super) namespaced: bool,
    pub(super) short_names: &'static [&'static str],
    /// Whether it has a `status` subresource (the main resource's writes then keep the status).
    pub(super) has_status: bool,
}

const fn resource(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    singular: &'static str,
    short_names: &'static [&'static str],
    has_status: bool,
) -> Resource {
    Resource {
        group,
        version,
        kind,
        plural,
        singular,
        namespaced: true,
        short_names,
        has_status,
    }
}

/// Every served resource type. Plurals are unique across groups, so a plural names a type.
pub(super) const RESOURCES: &[Resource] = &[
    Resource {
        namespaced: false,
        ..resource(
            "",
            "v1",
            "Namespace",
            "namespaces",
            "namespace",
            &["ns"],
            true,
        )
    },
    resource(
        "",
        "v1",
        "ServiceAccount",
        "serviceaccounts",
        "serviceaccount",
        &["sa"],
        false,
    ),
    resource("", "v1", "Secret", "secrets", "secret", &[], false),
    resource(
        "",
        "v1",
        "ConfigMap",
        "configmaps",
        "configmap",
        &["cm"],
        false,
    ),
    resource("", "v1", "Pod", "pods", "pod", &["po"], true),
    resource(
        "",
        "v1",
        "ResourceQuota",
        "resourcequotas",
        "resourcequota",
        &["quota"],
        true,
    ),
    resource(
        "",
        "v1",
        "LimitRange",
        "limitranges",
        "limitrange",
        &["limits"],
        false,
    ),
    resource(
        "rbac.authorization.k8s.io",
        "v1",
        "Role",
        "roles",
        "role",
        &[],
        false,
    ),
    resource(
        "rbac.authorization.k8s.io",
        "v1",
        "RoleBinding",
        "rolebindings",
        "rolebinding",
        &[],
        false,
    ),
    resource(
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
        "networkpolicies",
        "networkpolicy",
        &["netpol"],
        false,
    ),
    resource("batch", "v1", "Job", "jobs", "job", &[], true),
    resource(
        "apps",
        "v1",
        "Deployment",
        "deployments",
        "deployment",
        &["deploy"],
        true,
    ),
];

impl Resource {
    /// `v1` or `group/version`, as in an object's `apiVersion`.
    pub(super) fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_owned()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The discovery verbs.
    pub(super) fn verbs(&self) -> &'static [&'static str] {
        ALL_VERBS
    }

    /// The subresources as `(name, kind, verbs)`.
    pub(super) fn subresources(
        &self,
    ) -> Vec<(&'static str, &'static str, &'static [&'static str])> {
        let mut subresources = Vec::new();
        if self.has_status {
            subresources.push(("status", self.kind, &["get", "patch", "update"][..]));
        }
        match self.plural {
            "pods" => subresources.push(("log", "Pod", &["get"][..])),
            "deployments" => subresources.push(("scale", "Scale", &["get", "patch", "update"][..])),
            _ => {}
        }
        subresources
    }
}

/// The type served under `group/version` with this plural.
pub(super) fn find(group: &str, version: &str, plural: &str) -> Option<&'static Resource> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// The type with this plural, in any group.
pub(super) fn by_plural(plural: &str) -> Option<&'static Resource> {
    RESOURCES.iter().find(|r| r.plural == plural)
}

/// The served groups other than core, each with its one version, in table order.
pub(super) fn groups() -> Vec<(&'static str, &'static str)> {
    let mut groups: Vec<(&str, &str)> = Vec::new();
    for r in RESOURCES.iter().filter(|r| !r.group.is_empty()) {
        if !groups.contains(&(r.group, r.version)) {
            groups.push((r.group, r.version));
        }
    }
    groups
}

/// The types of one group version.
pub(super) fn of_group_version(group: &str, version: &str) -> Vec<&'static Resource> {
    RESOURCES
        .iter()
        .filter(|r| r.group == group && r.version == version)
        .collect()
}
