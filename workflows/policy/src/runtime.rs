//! Where a run executes: execution mode, target environment, access profile and build ref.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::trigger::Trigger;

/// How much of the project a run gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecutionMode {
    /// An isolated namespace with the whole project stack deployed.
    FullEnv,
    /// The repository, APIs and docs only.
    CodeOnly,
}

/// The Kubernetes access profile of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessProfile {
    /// Read-write inside the run's own candidate namespace, never secrets.
    Candidate,
    /// Get/list/watch and pod logs in production, nothing else.
    ProductionReadonly,
}

/// The environment a run works against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetEnv {
    /// The run's own namespace (a candidate of the change).
    Candidate,
    /// The platform's production namespace.
    Production,
}

/// What the run checks out and builds.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum BuildRef {
    /// The tip of the repository's default branch.
    DefaultBranch,
    /// The build ref of the existing candidate lineage of the Issue or pull request.
    CandidateLineage,
    /// The head commit of the pull request.
    PullRequestHead {
        /// The head SHA from the event.
        sha: String,
    },
}

/// Where a stage runs; one column of the stage table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// A fresh candidate namespace built from the default branch.
    Fresh,
    /// Continue the candidate lineage; when `required`, there is no fallback to the default branch.
    Candidate {
        /// Whether the run must not start without an existing lineage.
        required: bool,
    },
    /// Production, read-only, built from the default branch.
    Production,
    /// Production namespace, writing straight to the base branch (emergency repair).
    ProductionRepair,
}

/// The environment part of a run plan, as one placement resolves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    /// The environment the run targets.
    pub target_env: TargetEnv,
    /// What its agent may do in the cluster.
    pub access_profile: AccessProfile,
    /// What it is built from.
    pub build: BuildRef,
}

impl Placement {
    /// Resolves the placement given whether a candidate lineage exists; `None` when a required one is missing.
    pub fn place(self, candidate_exists: bool) -> Option<Placed> {
        let (target_env, access_profile, build) = match self {
            Self::Fresh => (
                TargetEnv::Candidate,
                AccessProfile::Candidate,
                BuildRef::DefaultBranch,
            ),
            Self::Candidate { required } => {
                let build = match (candidate_exists, required) {
                    (true, _) => BuildRef::CandidateLineage,
                    (false, false) => BuildRef::DefaultBranch,
                    (false, true) => return None,
                };
                (TargetEnv::Candidate, AccessProfile::Candidate, build)
            }
            Self::Production => (
                TargetEnv::Production,
                AccessProfile::ProductionReadonly,
                BuildRef::DefaultBranch,
            ),
            Self::ProductionRepair => (
                TargetEnv::Production,
                AccessProfile::Candidate,
                BuildRef::DefaultBranch,
            ),
        };
        Some(Placed {
            target_env,
            access_profile,
            build,
        })
    }
}

/// Platform configuration of execution modes per trigger.
///
/// A trigger missing from `triggers` uses `default_mode`. Discussion runs are always code-only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModePolicy {
    /// Mode for triggers without an entry.
    pub default_mode: ExecutionMode,
    /// Per-trigger modes; a configured map replaces the default map whole.
    pub triggers: BTreeMap<Trigger, ExecutionMode>,
    /// Mode for `need:reviewer` pre-review runs; `None` uses `default_mode`.
    pub reviewer: Option<ExecutionMode>,
}

impl Default for ModePolicy {
    /// The earlier system's policy: full-env, except the product stages, ai-repair and self-improve.
    fn default() -> Self {
        use Trigger::*;
        let code_only = [
            Intake,
            IntakeRevise,
            Vision,
            VisionRevise,
            Prd,
            PrdRevise,
            AiRepair,
            SelfImprove,
            SelfImproveRevise,
        ];
        Self {
            default_mode: ExecutionMode::FullEnv,
            triggers: code_only
                .into_iter()
                .map(|t| (t, ExecutionMode::CodeOnly))
                .collect(),
            reviewer: None,
        }
    }
}

impl ModePolicy {
    /// The mode of a stage run started by `trigger`.
    pub fn for_trigger(&self, trigger: Trigger) -> ExecutionMode {
        self.triggers
            .get(&trigger)
            .copied()
            .unwrap_or(self.default_mode)
    }

    /// The mode of a pre-review run.
    pub fn for_reviewer(&self) -> ExecutionMode {
        self.reviewer.unwrap_or(self.default_mode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_candidate_never_falls_back_to_the_default_branch() {
        let required = Placement::Candidate { required: true };
        assert_eq!(required.place(false), None);
        let optional = Placement::Candidate { required: false };
        assert_eq!(
            optional.place(false).map(|p| p.build),
            Some(BuildRef::DefaultBranch)
        );
        assert_eq!(
            optional.place(true).map(|p| p.build),
            Some(BuildRef::CandidateLineage)
        );
    }

    #[test]
    fn a_configured_mode_map_replaces_the_defaults() {
        let policy: ModePolicy =
            serde_json::from_str(r#"{"default_mode":"code_only","triggers":{"dev":"full_env"}}"#)
                .expect("valid");
        assert_eq!(policy.for_trigger(Trigger::Dev), ExecutionMode::FullEnv);
        assert_eq!(policy.for_trigger(Trigger::Intake), ExecutionMode::CodeOnly);
        assert_eq!(policy.for_reviewer(), ExecutionMode::CodeOnly);
    }
}
