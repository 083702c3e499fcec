//! What may be done to an object in the cluster, decided in one place for the runtime, the MCP
//! control tools' executor and the staff API (the seed's rules):
//! - objects labelled `app.kubernetes.io/part-of=codex-k8s` are never deleted;
//! - in `ai-staging` and `prod` those objects are view-only; other objects there may be changed
//!   by a permitted person, audited, or by an approved control action;
//! - in ai slots a destructive action asked for from the console or by an agent runs as a
//!   server-side dry run (`dryRun=All`) and says so;
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
    /// An agent, directly (not through an approved request).
    Agent,
    /// A staff member whose project role allows the action (the console).
    Staff,
    /// A staff member allowed to reveal secrets (project admin or platform owner).
    SecretAdmin,
    /// The built-in executor, performing a control action an approver approved.
    Approved,
    /// The platform's own machinery (runtime, cleanup, scaler).
    Platform,
}

/// The decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Go ahead.
    Allow,
    /// Go ahead, and record an audit entry (a secret reveal, a change in `ai-staging`/`prod`).
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
    let guarded = matches!(env, Environment::AiStaging | Environment::Prod);
    let platform_object = is_part_of_platform(target.labels);
    match action {
        Action::Read => Verdict::Allow,
        Action::RevealSecret => match actor {
            Actor::SecretAdmin => Verdict::AllowAudited,
            _ => Verdict::Deny(
                "secret values are revealed only to a project admin or the platform owner".into(),
            ),
        },
        Action::Delete if platform_object => Verdict::Deny(format!(
            "{} is part of the platform ({PART_OF}={PART_OF_VALUE}) and is never deleted",
            target.kind
        )),
        // The scaler sizes the platform's own Deployment; nobody else changes its objects there.
        Action::Change if guarded && platform_object && actor != Actor::Platform => {
            Verdict::Deny(format!(
                "{} in namespace {} is part of the platform in {env:?}: view-only",
                target.kind, target.namespace
            ))
        }
        _ if guarded && actor == Actor::Agent => Verdict::Deny(format!(
            "namespace {} is {env:?}: an agent changes it only through an approved request",
            target.namespace
        )),
        _ if guarded && matches!(actor, Actor::Staff | Actor::SecretAdmin) => Verdict::AllowAudited,
        Action::Delete if matches!(actor, Actor::Agent | Actor::Staff | Actor::SecretAdmin) => {
            Verdict::DryRun(format!(
                "deleting a {} in an ai slot runs as a server-side dry run (dryRun=All): nothing was deleted",
                target.kind
            ))
        }
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

    const ACTORS: [Actor; 5] = [
        Actor::Agent,
        Actor::Staff,
        Actor::SecretAdmin,
        Actor::Approved,
        Actor::Platform,
    ];

    fn on(
        actor: Actor,
        action: Action,
        namespace: &str,
        labels: &BTreeMap<String, String>,
    ) -> Verdict {
        let target = Target {
            kind: "Deployment",
            namespace,
            labels,
        };
        decide(&envs(), actor, action, target)
    }

    #[test]
    fn platform_objects_are_never_deleted_by_anyone() {
        let own = labels(&[(PART_OF, PART_OF_VALUE)]);
        for actor in ACTORS {
            for ns in ["codex-k8s", "codex-k8s-staging", "codex-p1-i1-dev"] {
                let v = on(actor, Action::Delete, ns, &own);
                assert!(
                    matches!(v, Verdict::Deny(ref m) if m.contains("never deleted")),
                    "{actor:?} {ns}: {v:?}"
                );
            }
        }
    }

    #[test]
    fn platform_objects_in_staging_and_prod_are_view_only_except_to_the_scaler() {
        let own = labels(&[(PART_OF, PART_OF_VALUE)]);
        for ns in ["codex-k8s", "codex-k8s-staging"] {
            for actor in ACTORS {
                assert_eq!(on(actor, Action::Read, ns, &own), Verdict::Allow);
                let v = on(actor, Action::Change, ns, &own);
                if actor == Actor::Platform {
                    assert_eq!(v, Verdict::Allow, "{ns}");
                } else {
                    assert!(
                        matches!(v, Verdict::Deny(ref m) if m.contains("view-only")),
                        "{actor:?} {ns}: {v:?}"
                    );
                }
            }
        }
        // In an ai slot the label only forbids deletion: the platform may be dogfooded there.
        assert_eq!(
            on(Actor::Staff, Action::Change, "codex-p1-i1-dev", &own),
            Verdict::Allow
        );
    }

    #[test]
    fn other_objects_in_staging_and_prod_change_audited_or_approved_never_by_an_agent_alone() {
        let none = BTreeMap::new();
        for ns in ["codex-k8s", "codex-k8s-staging"] {
            for action in [Action::Change, Action::Delete] {
                assert!(matches!(
                    on(Actor::Agent, action, ns, &none),
                    Verdict::Deny(ref m) if m.contains("approved request")
                ));
                for person in [Actor::Staff, Actor::SecretAdmin] {
                    assert_eq!(on(person, action, ns, &none), Verdict::AllowAudited);
                }
                for machine in [Actor::Approved, Actor::Platform] {
                    assert_eq!(on(machine, action, ns, &none), Verdict::Allow);
                }
            }
        }
    }

    #[test]
    fn destructive_actions_in_ai_slots_from_people_and_agents_are_dry_runs() {
        let none = BTreeMap::new();
        let slot = "codex-p1-i1-dev";
        for actor in [Actor::Agent, Actor::Staff, Actor::SecretAdmin] {
            assert_eq!(on(actor, Action::Change, slot, &none), Verdict::Allow);
            assert!(matches!(
                on(actor, Action::Delete, slot, &none),
                Verdict::DryRun(ref m) if m.contains("dryRun=All")
            ));
        }
        for machine in [Actor::Approved, Actor::Platform] {
            assert_eq!(on(machine, Action::Delete, slot, &none), Verdict::Allow);
        }
    }

    #[test]
    fn secret_values_need_a_permitted_role_and_are_audited() {
        let none = BTreeMap::new();
        let t = Target {
            kind: "Secret",
            namespace: "codex-p1-i1-dev",
            labels: &none,
        };
        for actor in [Actor::Agent, Actor::Staff, Actor::Approved, Actor::Platform] {
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
