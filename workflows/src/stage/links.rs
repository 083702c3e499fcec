//! A stage run's links as the run writes them at its start (its Issue, its runtime handle) and as
//! its status comment shows them.

use serde_json::json;

use crate::{
    runtime::Workspace,
    store::{
        agent_run::AgentRun,
        link::{self, Link, LinkKind},
    },
};

/// Records the run's Issue (if any) and the runtime handle its agent works in.
pub(crate) async fn record_start(
    pool: &sqlx::PgPool,
    run: &AgentRun,
    ws: &Workspace,
) -> crate::Result<()> {
    if let Some(n) = run.issue_number {
        link::insert(
            pool,
            run.id,
            LinkKind::Issue,
            &n.to_string(),
            json!({ "repository": run.repository }),
        )
        .await?;
    }
    let meta = json!({ "base_commit": ws.base_commit, "branch": run.branch });
    link::insert(pool, run.id, LinkKind::Runtime, &ws.handle, meta).await?;
    Ok(())
}

/// The comment's links section: pull request, branch, commits and session (empty when none).
pub(crate) fn render(run: &AgentRun, links: &[Link]) -> String {
    let ru = run.locale == "ru";
    let of = |kind: LinkKind| links.iter().filter(move |l| l.kind == kind.as_str());
    let mut rows = Vec::new();
    for l in of(LinkKind::PullRequest) {
        rows.push(format!("| {} | #{} |", "Pull request", l.target));
    }
    for l in of(LinkKind::Branch) {
        rows.push(format!(
            "| {} | `{}` |",
            if ru {
                "Отправлена ветка"
            } else {
                "Pushed branch"
            },
            l.target
        ));
    }
    let commits: Vec<String> = of(LinkKind::Commit)
        .map(|l| format!("`{}`", l.target.get(..12).unwrap_or(&l.target)))
        .collect();
    if !commits.is_empty() {
        rows.push(format!(
            "| {} | {} |",
            if ru { "Коммиты" } else { "Commits" },
            commits.join(", ")
        ));
    }
    for l in of(LinkKind::Session) {
        rows.push(format!(
            "| {} | `{}` |",
            if ru {
                "Сессия агента"
            } else {
                "Agent session"
            },
            l.target
        ));
    }
    if rows.is_empty() {
        return String::new();
    }
    let title = if ru { "Связи" } else { "Links" };
    format!("\n**{title}**\n\n| | |\n|---|---|\n{}\n", rows.join("\n"))
}
