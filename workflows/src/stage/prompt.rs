//! Builds the prompt context of a stage run from its record and renders its effective template
//! (project override → system override → repo seed, in the run's locale).

use super::shape::Shape;
use crate::{
    github::Issue,
    platform::Platform,
    policy::{
        AccessProfile, ExecutionMode, IssueNumber, PullRequestNumber, Role, TargetEnv, Trigger,
    },
    prompt::{
        self, Completion, IssueRef, Locale, McpTool, PromptContext, PullRequestRef, SafeText,
    },
    store::agent_run::AgentRun,
};

fn wire<T: serde::de::DeserializeOwned>(field: &str, raw: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(raw.to_owned()))
        .map_err(|_| format!("unknown {field} {raw:?}"))
}

fn safe(raw: &str) -> Result<SafeText, String> {
    SafeText::parse(raw).map_err(|e| e.to_string())
}

/// The MCP tools a stage run's agent sees (served by the platform's MCP server).
fn tools(role: Role) -> Vec<(&'static str, &'static str)> {
    let mut tools = vec![
        (
            "run_status_report",
            "report a short status line shown in the run's status comment",
        ),
        (
            "owner_feedback_request",
            "ask the Owner a question with options and wait for the answer",
        ),
        (
            "github_labels",
            "list, add or remove state:* and need:* labels; run:* labels need Owner approval",
        ),
    ];
    if matches!(role, Role::Dev | Role::Sre) {
        tools.push((
            "secret_sync",
            "sync a named secret between GitHub and Kubernetes (Owner approval)",
        ));
        tools.push((
            "database_lifecycle",
            "create, describe or delete an environment database (Owner approval)",
        ));
    }
    tools
}

/// Renders the run's prompt.
pub(crate) async fn render(
    p: &Platform,
    run: &AgentRun,
    issue: Option<&Issue>,
) -> Result<String, String> {
    let Shape {
        role,
        stage,
        trigger,
        kind,
    } = Shape::of(run)?;
    let revise = trigger.is_some_and(Trigger::is_revise);
    // The run's locale was resolved at routing (project locale, then the platform default).
    let locale = Locale::effective(Some(&run.locale), Some(&p.config.default_locale));
    let params = prompt::store::EffectiveParams {
        project_id: Some(run.project_id),
        role,
        kind,
        locale,
    };
    let template = prompt::store::effective(&p.pool, &params)
        .await
        .map_err(|e| e.to_string())?;
    let number = run.issue_number.unwrap_or(run.thread_number) as u64;
    let repo_url = format!("https://github.com/{}", run.repository);
    let ctx = PromptContext {
        run_id: run.id,
        repository: safe(&run.repository)?,
        issue: IssueRef {
            number: IssueNumber(number),
            title: safe(issue.map(|i| i.title.as_str()).unwrap_or(""))?,
            url: safe(&format!("{repo_url}/issues/{number}"))?,
        },
        pull_request: run
            .pull_request_number
            .map(|pr| {
                Ok::<_, String>(PullRequestRef {
                    number: PullRequestNumber(pr as u64),
                    url: safe(&format!("{repo_url}/pull/{pr}"))?,
                    head_branch: safe(&run.branch)?,
                })
            })
            .transpose()?,
        stage,
        trigger_label: safe(
            &trigger
                .map(|t| p.policy.catalog().trigger(t).as_str().to_owned())
                .unwrap_or_else(|| run.kind.clone()),
        )?,
        revise,
        role,
        kind,
        branch: safe(&run.branch)?,
        base_branch: safe("main")?,
        target_env: wire::<TargetEnv>("target env", &run.target_env)?,
        execution_mode: wire::<ExecutionMode>("execution mode", &run.execution_mode)?,
        access_profile: wire::<AccessProfile>("access profile", &run.access_profile)?,
        mcp_tools: tools(role)
            .into_iter()
            .map(|(name, description)| {
                Ok(McpTool {
                    name: safe(name)?,
                    description: safe(description)?,
                })
            })
            .collect::<Result<_, String>>()?,
        completion: Completion::for_run(role, kind, stage),
        locale,
        learning_mode: run.learning_mode,
    };
    let rendered = prompt::render(&template, &ctx).map_err(|e| e.to_string())?;
    tracing::info!(run_id = %run.id, source = %rendered.source, "prompt rendered");
    Ok(rendered.text)
}
