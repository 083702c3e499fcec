//! Stages, the 28 `run:*` triggers and the agent roles, with the one table that ties them together.

use serde::{Deserialize, Serialize};

use super::runtime::Placement;

/// A stage of the delivery process; each `run:*` trigger starts one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Problem, brief and scope.
    Intake,
    /// Charter and success metrics.
    Vision,
    /// Product requirements.
    Prd,
    /// Architecture.
    Arch,
    /// Detailed design.
    Design,
    /// Delivery plan.
    Plan,
    /// Code, tests and the pull request.
    Dev,
    /// Code ↔ docs ↔ requirements audit.
    DocAudit,
    /// Test strategy and evidence on the candidate.
    Qa,
    /// Release plan and notes.
    Release,
    /// Review after deploying to production.
    Postdeploy,
    /// Runbooks, SLOs and alerts.
    Ops,
    /// Emergency repair straight on the base branch.
    AiRepair,
    /// Improvement of prompts, docs and the agent image.
    SelfImprove,
    /// Reopens the problem and proposes where to restart.
    Rethink,
}

/// The agent that runs a stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Product manager.
    Pm,
    /// Solution architect.
    Sa,
    /// Engineering manager.
    Em,
    /// Software engineer.
    Dev,
    /// Pre-review engineer.
    Reviewer,
    /// QA lead.
    Qa,
    /// SRE / operations.
    Sre,
    /// Knowledge manager.
    Km,
}

/// One row of the stage table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StageSpec {
    /// The stage's name inside label names, e.g. `doc-audit`.
    pub slug: &'static str,
    /// The agent that runs it.
    pub role: Role,
    /// Where the run executes and what it builds from.
    pub placement: Placement,
    /// Whether a `:revise` trigger exists.
    pub revisable: bool,
    /// Whether the `:revise` trigger on an Issue needs an existing pull request.
    pub revise_needs_pull_request: bool,
}

const fn row(slug: &'static str, role: Role, placement: Placement, revisable: bool) -> StageSpec {
    StageSpec {
        slug,
        role,
        placement,
        revisable,
        revise_needs_pull_request: false,
    }
}

impl Stage {
    /// Every stage.
    pub const ALL: [Self; 15] = [
        Self::Intake,
        Self::Vision,
        Self::Prd,
        Self::Arch,
        Self::Design,
        Self::Plan,
        Self::Dev,
        Self::DocAudit,
        Self::Qa,
        Self::Release,
        Self::Postdeploy,
        Self::Ops,
        Self::AiRepair,
        Self::SelfImprove,
        Self::Rethink,
    ];

    /// The canonical main path, in order; the other stages are off-path.
    pub const MAIN_PATH: [Self; 11] = [
        Self::Intake,
        Self::Vision,
        Self::Prd,
        Self::Arch,
        Self::Design,
        Self::Plan,
        Self::Dev,
        Self::Qa,
        Self::Release,
        Self::Postdeploy,
        Self::Ops,
    ];

    /// The stage table: every per-stage fact lives in this one match.
    pub const fn spec(self) -> StageSpec {
        use Placement::{Candidate, Fresh, Production, ProductionRepair};
        match self {
            Self::Intake => row("intake", Role::Pm, Fresh, true),
            Self::Vision => row("vision", Role::Pm, Fresh, true),
            Self::Prd => row("prd", Role::Pm, Fresh, true),
            Self::Arch => row("arch", Role::Sa, Fresh, true),
            Self::Design => row("design", Role::Sa, Fresh, true),
            Self::Plan => row("plan", Role::Em, Fresh, true),
            Self::Dev => StageSpec {
                revise_needs_pull_request: true,
                ..row("dev", Role::Dev, Candidate { required: false }, true)
            },
            Self::DocAudit => row("doc-audit", Role::Km, Fresh, true),
            Self::Qa => row("qa", Role::Qa, Candidate { required: true }, true),
            Self::Release => row("release", Role::Em, Candidate { required: true }, true),
            Self::Postdeploy => row("postdeploy", Role::Sre, Production, true),
            Self::Ops => row("ops", Role::Sre, Production, true),
            Self::AiRepair => row("ai-repair", Role::Sre, ProductionRepair, false),
            Self::SelfImprove => row("self-improve", Role::Km, Fresh, true),
            Self::Rethink => row("rethink", Role::Em, Fresh, false),
        }
    }

    /// The agent that runs this stage.
    pub const fn role(self) -> Role {
        self.spec().role
    }

    /// Position on the main path, or `None` for off-path stages.
    pub fn main_path_index(self) -> Option<usize> {
        Self::MAIN_PATH.iter().position(|s| *s == self)
    }
}
