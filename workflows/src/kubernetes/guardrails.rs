//! What the platform may do to an object in the cluster, decided in one place for the runtime,
//! the MCP control tools and the staff API:
//! - objects labelled `app.kubernetes.io/part-of=codex-k8s` are never deleted;
//! - in `ai-staging` and `prod` everything is view-only;
//! - in ai slots a destructive action runs as a server-side dry run (`dryRun=All`) and says so;
//! - a Secret's values are returned only on an explicit reveal by a permitted role, which the
//!   caller audits;
//! - the platform deletes only namespaces it created (`app.kubernetes.io/managed-by=codex-k8s`).

use std::collections::BTreeMap;

use serde_json::Value;

use super::labels::{MANAGED_BY, MANAGER, PART_OF, PART_OF_VALUE};

/// The kind of environment a namespace belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// A per-run or per-slot namespace of an ai environment.
    AiSlot,
    /// The platform's staging environment.
    AiStaging,
    /// Production.
    Prod,
}

/// Which namespaces are which environment (from configuration); anything else is an ai slot.
#[derive(Debug, Clone, Default)]
pub struct Environments {
    /// Namespaces of `ai-staging`.
    pub staging: Vec<String>,
    /// Namespaces of `prod`.
    pub prod: Vec<String>,
}

impl Environments {
    /// The environment of `namespace`.
    pub fn of(&self, namespace: &str) -> Environment {
        if self.prod.iter().any(|n| n == namespace) {
            Environment::Prod
        } else if self.staging.iter().any(|n| n == namespace) {
            Environment::AiStaging
        } else {
            Environment::AiSlot
        }
    }
}

/// What is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// get, list, watch, logs.
    Read,
    /// Create, update, patch, scale, restart, exec.
    Change,
    /// Delete.
    Delete,
    /// Return a Secret's values.
    RevealSecret,
}

/// Who asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// An agent, through an MCP tool.
    Agent,
    /// A staff member with read access.
    Viewer,
    /// A staff member allowed to reveal secrets (project admin or platform owner).
    SecretAdmin,
    /// The platform itself (runtime, cleanup, executor).
    Platform,
}

/// The decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Go ahead.
    Allow,
    /// Go ahead, and record an audit entry (a secret reveal).
    AllowAudited,
    /// Run it as a server-side dry run only (`dryRun=All`), and tell the caller so.
    DryRun(String),
    /// Refused, with the reason to show.
    Deny(String),
}

/// The object an action is about.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// Kind, e.g. `Deployment`.
    pub kind: &'a str,
    /// Namespace (the namespace's own name for a Namespace).
    pub namespace: &'a str,
    /// The object's labels.
    pub labels: &'a BTreeMap<String, String>,
}

/// Whether `labels` mark the platform's own environment.
pub fn is_part_of_platform(labels: &BTreeMap<String, String>) -> bool {
    labels.get(PART_OF).is_some_and(|v| v == PART_OF_VALUE)
}

/// Whether `labels` mark an object the platform created.
pub fn is_managed(labels: &BTreeMap<String, String>) -> bool {
    labels.get(MANAGED_BY).is_some_and(|v| v == MANAGER)
}

/// Decides `action` by `actor` on `target`, in the environment of its namespace.
pub fn decide(envs: &Environments, actor: Actor, action: Action, target: Target<'_>) -> Verdict {
    let env = envs.of(target.namespace);
    match action {
        Action::Read => Verdict::Allow,
        Action::RevealSecret => match actor {
            Actor::SecretAdmin => Verdict::AllowAudited,
            _ => Verdict::Deny(
                "secret values are revealed only to a project admin or the platform owner".into(),
            ),
        },
        Action::Delete if is_part_of_platform(target.labels) => Verdict::Deny(format!(
            "{} is part of the platform ({PART_OF}={PART_OF_VALUE}) and is never deleted",
            target.kind
        )),
        _ if matches!(env, Environment::AiStaging | Environment::Prod)
            && actor != Actor::Platform =>
        {
            Verdict::Deny(format!(
                "namespace {} is {env:?}: view-only",
                target.namespace
            ))
        }
        Action::Delete if actor != Actor::Platform => Verdict::DryRun(format!(
            "deleting a {} in an ai slot runs as a server-side dry run (dryRun=All): nothing was deleted",
            target.kind
        )),
        Action::Change | Action::Delete => Verdict::Allow,
    }
}

/// Whether the platform may delete the namespace with `labels`: only one it created, never one
/// of its own environment. The reason when not.
pub fn may_delete_namespace(name: &str, labels: &BTreeMap<String, String>) -> Result<(), String> {
    if !is_managed(labels) {
        return Err(format!(
            "namespace {name} is not managed by the platform ({MANAGED_BY}={MANAGER} missing)"
        ));
    }
    if is_part_of_platform(labels) {
        return Err(format!(
            "namespace {name} is part of the platform and is never deleted"
        ));
    }
    Ok(())
}

/// Removes a Secret's values (`data`, `stringData`) from its JSON, keeping the key names with
/// empty values, for every caller that has not revealed it.
pub fn redact_secret(secret: &mut Value) {
    for field in ["data", "stringData"] {
        if let Some(Value::Object(values)) = secret.get_mut(field) {
            for v in values.values_mut() {
                *v = Value::String(String::new());
            }
        }
    }
    if let Some(Value::Object(annotations)) = secret.pointer_mut("/metadata/annotations") {
        // kubectl apply keeps the whole object, values too, in this annotation.
        annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn envs() -> Environments {
        Environments {
            staging: vec!["codex-k8s-staging".into()],
            prod: vec!["codex-k8s".into()],
        }
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn platform_objects_are_never_deleted_by_anyone() {
        let own = labels(&[(PART_OF, PART_OF_VALUE)]);
        for actor in [
            Actor::Agent,
            Actor::Viewer,
            Actor::SecretAdmin,
            Actor::Platform,
        ] {
            for ns in ["codex-k8s", "codex-k8s-staging", "codex-p1-i1-dev"] {
                let v = decide(
                    &envs(),
                    actor,
                    Action::Delete,
                    Target {
                        kind: "Deployment",
                        namespace: ns,
                        labels: &own,
                    },
                );
                assert!(
                    matches!(v, Verdict::Deny(ref m) if m.contains("never deleted")),
                    "{actor:?} {ns}: {v:?}"
                );
            }
        }
    }

    #[test]
    fn staging_and_prod_are_view_only_and_ai_slots_dry_run_destructive_actions() {
        let none = BTreeMap::new();
        for ns in ["codex-k8s", "codex-k8s-staging"] {
            let t = Target {
                kind: "Deployment",
                namespace: ns,
                labels: &none,
            };
            assert_eq!(
                decide(&envs(), Actor::Agent, Action::Read, t),
                Verdict::Allow
            );
            for action in [Action::Change, Action::Delete] {
                assert!(
                    matches!(decide(&envs(), Actor::Agent, action, t), Verdict::Deny(ref m) if m.contains("view-only"))
                );
            }
        }
        let slot = Target {
            kind: "Deployment",
            namespace: "codex-p1-i1-dev",
            labels: &none,
        };
        assert_eq!(
            decide(&envs(), Actor::Agent, Action::Change, slot),
            Verdict::Allow
        );
        assert!(
            matches!(decide(&envs(), Actor::Agent, Action::Delete, slot), Verdict::DryRun(ref m) if m.contains("dryRun=All"))
        );
        assert_eq!(
            decide(&envs(), Actor::Platform, Action::Delete, slot),
            Verdict::Allow
        );
    }

    #[test]
    fn secret_values_need_a_permitted_role_and_are_audited() {
        let none = BTreeMap::new();
        let t = Target {
            kind: "Secret",
            namespace: "codex-p1-i1-dev",
            labels: &none,
        };
        for actor in [Actor::Agent, Actor::Viewer, Actor::Platform] {
            assert!(
                matches!(
                    decide(&envs(), actor, Action::RevealSecret, t),
                    Verdict::Deny(_)
                ),
                "{actor:?}"
            );
        }
        assert_eq!(
            decide(&envs(), Actor::SecretAdmin, Action::RevealSecret, t),
            Verdict::AllowAudited
        );
        let mut secret = json!({"kind": "Secret", "data": {"password": "c2VjcmV0"}, "stringData": {"token": "t0ken"},
            "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"password\":\"c2VjcmV0\"}}"}}});
        redact_secret(&mut secret);
        let text = secret.to_string();
        assert!(
            !text.contains("c2VjcmV0") && !text.contains("t0ken"),
            "{text}"
        );
        assert_eq!(secret["data"]["password"], "");
    }

    #[test]
    fn only_managed_namespaces_outside_the_platform_may_be_deleted() {
        assert!(may_delete_namespace("kube-system", &BTreeMap::new()).is_err());
        assert!(may_delete_namespace("x", &labels(&[(MANAGED_BY, "helm")])).is_err());
        assert!(
            may_delete_namespace(
                "x",
                &labels(&[(MANAGED_BY, MANAGER), (PART_OF, PART_OF_VALUE)])
            )
            .is_err()
        );
        assert!(may_delete_namespace("x", &labels(&[(MANAGED_BY, MANAGER)])).is_ok());
    }
}
