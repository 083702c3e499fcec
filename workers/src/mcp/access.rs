//! Which tools a run sees: by its role and stage. `tools/list` shows only these and
//! `tools/call` refuses the others as unknown.

use workflows::{
    policy::{Role, Stage},
    store::agent_run::AgentRun,
};

/// Tools every run sees.
const EVERY_RUN: [&str; 5] = [
    "run_status_report",
    "github_labels",
    "owner_feedback_request",
    "approval_status",
    "docs_search",
];
/// Control tools (secret and database): agents that operate environments (the reference's
/// `mcp/tool_access_policy.go`: `sre`/`dev` agents on ops, its revise, and ai-repair).
const CONTROL: [&str; 2] = ["secret_sync", "database_lifecycle"];
/// Read-only lookups for `run:self-improve`.
const SELF_IMPROVE: [&str; 3] = [
    "self_improve_runs_list",
    "self_improve_run_lookup",
    "self_improve_session_get",
];

/// A run's role and stage, parsed from its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scope {
    /// Role of the agent.
    pub(crate) role: Option<Role>,
    /// Stage (none for reviewer and discussion runs).
    pub(crate) stage: Option<Stage>,
}

impl Scope {
    /// Parses the record's role and stage (unknown values see only the common tools).
    pub(crate) fn of(run: &AgentRun) -> Self {
        fn parse<T: serde::de::DeserializeOwned>(raw: &str) -> Option<T> {
            serde_json::from_value(serde_json::Value::String(raw.to_owned())).ok()
        }
        Self {
            role: parse(&run.role),
            stage: run.stage.as_deref().and_then(parse),
        }
    }

    /// Whether this run may see and call `tool`.
    ///
    /// Secret and database control: `dev` and `sre` agents on ops (and its revise) and
    /// ai-repair only, never a dev run or a reviewer. Self-improve lookups:
    /// the self-improve stage only.
    pub(crate) fn allows(self, tool: &str) -> bool {
        if EVERY_RUN.contains(&tool) {
            return true;
        }
        if CONTROL.contains(&tool) {
            return matches!(self.role, Some(Role::Dev | Role::Sre))
                && matches!(self.stage, Some(Stage::Ops | Stage::AiRepair));
        }
        if SELF_IMPROVE.contains(&tool) {
            return self.stage == Some(Stage::SelfImprove);
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(role: Role, stage: Option<Stage>, expected: &str) {
        let scope = Scope {
            role: Some(role),
            stage,
        };
        let all = EVERY_RUN.iter().chain(&CONTROL).chain(&SELF_IMPROVE);
        let seen: Vec<&str> = all
            .copied()
            .filter(|t| scope.allows(t))
            .skip(EVERY_RUN.len())
            .collect();
        assert_eq!(seen.join(" "), expected, "{role:?} on {stage:?}");
    }

    #[test]
    fn control_tools_only_for_operators_and_lookups_only_for_self_improve() {
        check(Role::Reviewer, None, "");
        check(Role::Reviewer, Some(Stage::Dev), "");
        check(Role::Pm, Some(Stage::Intake), "");
        check(Role::Dev, Some(Stage::Dev), "");
        check(Role::Sre, Some(Stage::Postdeploy), "");
        check(
            Role::Dev,
            Some(Stage::Ops),
            "secret_sync database_lifecycle",
        );
        check(
            Role::Sre,
            Some(Stage::AiRepair),
            "secret_sync database_lifecycle",
        );
        check(Role::Dev, Some(Stage::Qa), "");
        check(
            Role::Km,
            Some(Stage::SelfImprove),
            "self_improve_runs_list self_improve_run_lookup self_improve_session_get",
        );
        let anyone = Scope {
            role: None,
            stage: None,
        };
        assert!(EVERY_RUN.iter().all(|t| anyone.allows(t)));
        assert!(!anyone.allows("no_such_tool"));
    }
}
