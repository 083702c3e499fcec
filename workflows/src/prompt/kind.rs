//! What a run asks of its agent: the template kind, the write scope and the completion contract.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::policy::{Role, RunKind, Stage};

/// Every role, in the order of the roster.
pub(crate) const ROLES: [Role; 8] = [
    Role::Pm,
    Role::Sa,
    Role::Em,
    Role::Dev,
    Role::Reviewer,
    Role::Qa,
    Role::Sre,
    Role::Km,
];

/// A role's wire name (as serde writes it), also part of the seed file name.
pub(crate) const fn role_str(role: Role) -> &'static str {
    match role {
        Role::Pm => "pm",
        Role::Sa => "sa",
        Role::Em => "em",
        Role::Dev => "dev",
        Role::Reviewer => "reviewer",
        Role::Qa => "qa",
        Role::Sre => "sre",
        Role::Km => "km",
    }
}

/// Which template of a role a run uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The first pass of a stage (for `reviewer`: the pre-review of a pull request).
    Work,
    /// A revise pass that answers review comments on the existing pull request.
    Revise,
    /// A comment-only review of a pull request in the role's area, asked for by the Owner.
    Review,
    /// A comment-only conversation on an Issue (`mode:discussion`).
    Discussion,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Self; 4] = [Self::Work, Self::Revise, Self::Review, Self::Discussion];

    /// The wire name, also part of the seed file name (`<role>-<kind>.md`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Work => "work",
            Self::Revise => "revise",
            Self::Review => "review",
            Self::Discussion => "discussion",
        }
    }

    /// The kind routing implies for a run; `revise` is the run plan's flag.
    /// Role reviews (`Review`) are chosen explicitly by whoever asks for one.
    pub fn for_run(run: RunKind, revise: bool) -> Self {
        match run {
            RunKind::Discussion => Self::Discussion,
            RunKind::Stage(_) | RunKind::Reviewer if revise => Self::Revise,
            RunKind::Stage(_) | RunKind::Reviewer => Self::Work,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which files a run may change; the runner checks the diff against it after the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteScope {
    /// Any file of the repository (`dev`, and `sre` in `ai-repair`).
    Any,
    /// Markdown files only (`*.md`): the document stages.
    Markdown,
    /// Prompt seeds under `prompts/` and Markdown files (`km` in `self-improve`).
    SelfImprove,
    /// No file at all: reviews and discussions only comment.
    Nothing,
}

impl WriteScope {
    /// The scope of a run of `role` and `kind` in `stage` (none for pre-reviews and discussions).
    pub fn for_run(role: Role, kind: Kind, stage: Option<Stage>) -> Self {
        match (role, kind, stage) {
            (Role::Reviewer, _, _) | (_, Kind::Review | Kind::Discussion, _) => Self::Nothing,
            (Role::Dev, _, _) | (_, _, Some(Stage::AiRepair)) => Self::Any,
            (Role::Km, _, Some(Stage::SelfImprove)) => Self::SelfImprove,
            _ => Self::Markdown,
        }
    }
}

/// How a run ends and what its final message must contain (the output profile).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Completion {
    /// Commit to the run branch and open or update the pull request.
    PullRequest,
    /// Post review comments and a summary on the existing pull request; no commits.
    Review,
    /// Answer on the Issue; no commits.
    Discussion,
    /// Commit straight to the base branch without a pull request (`ai-repair`).
    MainDirect,
}

impl Completion {
    /// The completion contract of a run of `role` and `kind` in `stage`.
    pub fn for_run(role: Role, kind: Kind, stage: Option<Stage>) -> Self {
        match (role, kind, stage) {
            (_, Kind::Discussion, _) => Self::Discussion,
            (Role::Reviewer, _, _) | (_, Kind::Review, _) => Self::Review,
            (_, _, Some(Stage::AiRepair)) => Self::MainDirect,
            _ => Self::PullRequest,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Trigger;

    #[test]
    fn role_names_are_the_wire_names() {
        for role in ROLES {
            assert_eq!(serde_json::json!(role), role_str(role));
        }
        for kind in Kind::ALL {
            assert_eq!(serde_json::json!(kind), kind.as_str());
        }
    }

    #[test]
    fn only_dev_and_ai_repair_may_change_code() {
        let scope = WriteScope::for_run;
        assert_eq!(
            scope(Role::Dev, Kind::Work, Some(Stage::Dev)),
            WriteScope::Any
        );
        assert_eq!(
            scope(Role::Sre, Kind::Work, Some(Stage::AiRepair)),
            WriteScope::Any
        );
        assert_eq!(
            scope(Role::Sre, Kind::Revise, Some(Stage::Ops)),
            WriteScope::Markdown
        );
        assert_eq!(
            scope(Role::Km, Kind::Work, Some(Stage::SelfImprove)),
            WriteScope::SelfImprove
        );
        assert_eq!(
            scope(Role::Km, Kind::Work, Some(Stage::DocAudit)),
            WriteScope::Markdown
        );
        assert_eq!(scope(Role::Reviewer, Kind::Work, None), WriteScope::Nothing);
        assert_eq!(
            scope(Role::Dev, Kind::Discussion, Some(Stage::Dev)),
            WriteScope::Nothing
        );
        assert_eq!(scope(Role::Dev, Kind::Review, None), WriteScope::Nothing);
    }

    #[test]
    fn routing_picks_the_kind_and_the_completion_contract() {
        let dev = RunKind::Stage(Trigger::Dev);
        assert_eq!(Kind::for_run(dev, false), Kind::Work);
        assert_eq!(Kind::for_run(dev, true), Kind::Revise);
        assert_eq!(Kind::for_run(RunKind::Reviewer, false), Kind::Work);
        assert_eq!(Kind::for_run(RunKind::Discussion, true), Kind::Discussion);

        let done = Completion::for_run;
        assert_eq!(
            done(Role::Pm, Kind::Work, Some(Stage::Prd)),
            Completion::PullRequest
        );
        assert_eq!(done(Role::Reviewer, Kind::Work, None), Completion::Review);
        assert_eq!(done(Role::Qa, Kind::Review, None), Completion::Review);
        assert_eq!(
            done(Role::Sre, Kind::Work, Some(Stage::AiRepair)),
            Completion::MainDirect
        );
        assert_eq!(
            done(Role::Reviewer, Kind::Discussion, None),
            Completion::Discussion
        );
    }
}
