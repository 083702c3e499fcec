//! A complete, realistic context for a role and kind: override bodies are test-rendered with it
//! before they are stored, and tests start from it.

use uuid::Uuid;

use super::context::{IssueRef, McpTool, PromptContext, PullRequestRef};
use super::kind::{Completion, Kind};
use super::locale::Locale;
use super::text::SafeText;
use crate::policy::{
    AccessProfile, ExecutionMode, IssueNumber, ModePolicy, PullRequestNumber, Role, Stage,
    TargetEnv, Trigger,
};

/// The first stage `role` runs, if any (`reviewer` runs none).
pub(crate) fn first_stage(role: Role) -> Option<Stage> {
    Stage::ALL.into_iter().find(|s| s.role() == role)
}

/// A context for `role` and `kind` in `stage`, with a pull request, learning mode off.
pub(crate) fn sample_context(
    role: Role,
    kind: Kind,
    stage: Option<Stage>,
    locale: Locale,
) -> PromptContext {
    let revise = kind == Kind::Revise;
    let placed = stage.and_then(|s| s.spec().placement.place(true));
    let (target_env, access_profile) = placed
        .map_or((TargetEnv::Candidate, AccessProfile::Candidate), |p| {
            (p.target_env, p.access_profile)
        });
    let execution_mode = match (kind, stage.and_then(|s| Trigger::of(s, revise))) {
        (Kind::Discussion, _) => ExecutionMode::CodeOnly,
        (_, Some(trigger)) => ModePolicy::default().for_trigger(trigger),
        (_, None) => ModePolicy::default().for_reviewer(),
    };
    let trigger_label = match (kind, role, stage.and_then(|s| Trigger::of(s, revise))) {
        (Kind::Discussion, _, _) => "mode:discussion".to_owned(),
        (_, Role::Reviewer, _) | (Kind::Review, _, _) | (_, _, None) => "need:reviewer".to_owned(),
        (_, _, Some(trigger)) => trigger.default_label(),
    };
    let main_direct = stage == Some(Stage::AiRepair);
    let branch = if main_direct {
        "main"
    } else {
        "codex/issue-42"
    };
    PromptContext {
        run_id: Uuid::nil(),
        repository: SafeText::trusted("acme/shop"),
        issue: IssueRef {
            number: IssueNumber(42),
            title: SafeText::trusted("Checkout fails for carts with more than 100 items"),
            url: SafeText::trusted("https://github.com/acme/shop/issues/42"),
        },
        pull_request: (!main_direct).then(|| PullRequestRef {
            number: PullRequestNumber(57),
            url: SafeText::trusted("https://github.com/acme/shop/pull/57"),
            head_branch: SafeText::trusted("codex/issue-42"),
        }),
        stage,
        trigger_label: SafeText::parse(&trigger_label)
            .unwrap_or_else(|_| SafeText::trusted("run:dev")),
        revise,
        role,
        kind,
        branch: SafeText::trusted(branch),
        base_branch: SafeText::trusted("main"),
        target_env,
        execution_mode,
        access_profile,
        mcp_tools: vec![
            McpTool {
                name: SafeText::trusted("run_status_report"),
                description: SafeText::trusted("Report the current phase and progress of the run"),
            },
            McpTool {
                name: SafeText::trusted("owner_feedback_request"),
                description: SafeText::trusted(
                    "Ask the Owner a question with answer options and wait for the reply",
                ),
            },
        ],
        completion: Completion::for_run(role, kind, stage),
        locale,
        learning_mode: false,
    }
}
