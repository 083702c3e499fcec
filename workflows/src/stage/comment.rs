//! The single status comment of a stage run, rendered in `ru` or `en` through the run's phases,
//! with the allowed next steps (each a console link carrying its label diff) once it finishes.

use serde::{Deserialize, Serialize};

use crate::{
    policy::{Action, NextStep, StepIntent},
    store::agent_run::AgentRun,
};

/// Where the run stands, as the comment shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Waits for a slot: another run of the Issue (or the project's last slot) is active.
    Queued,
    /// Accepted; nothing started yet.
    Created,
    /// Preparing the workspace.
    PreparingRuntime,
    /// The agent works.
    Started,
    /// The agent waits for the Owner (the run's budget is paused).
    Waiting,
    /// Done (see the outcome).
    Finished,
}

/// How a finished run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// `succeeded`, `failed`, `cancelled`, `timed_out`.
    pub status: String,
    /// The agent's summary or the failure reason.
    pub detail: Option<String>,
    /// What the Owner can do about a failure, when the platform knows.
    #[serde(default)]
    pub hint: Option<String>,
}

/// Everything the comment shows.
#[derive(Debug, Clone)]
pub struct StatusView<'a> {
    /// The run.
    pub run: &'a AgentRun,
    /// Current phase.
    pub phase: Phase,
    /// The outcome, when finished.
    pub outcome: Option<Outcome>,
    /// Next steps, when finished.
    pub next_steps: &'a [NextStep],
    /// Base URL of the console.
    pub console_url: &'a str,
}

/// The hidden marker that identifies a run's status comment.
pub fn marker(run: &AgentRun) -> String {
    format!("<!-- codex-k8s:run-status run_id={} -->", run.id)
}

struct Words {
    title: &'static str,
    phase: &'static str,
    stage: &'static str,
    role: &'static str,
    mode: &'static str,
    model: &'static str,
    branch: &'static str,
    next: &'static str,
    removed: &'static str,
    added: &'static str,
    final_labels: &'static str,
    result: &'static str,
    none: &'static str,
    hint: &'static str,
}

const EN: Words = Words {
    title: "codex-k8s run",
    phase: "Phase",
    stage: "Stage",
    role: "Agent",
    mode: "Runtime",
    model: "Model",
    branch: "Branch",
    next: "Next steps",
    removed: "removes",
    added: "adds",
    final_labels: "final",
    result: "Result",
    none: "none",
    hint: "What you can do",
};

const RU: Words = Words {
    title: "Запуск codex-k8s",
    phase: "Фаза",
    stage: "Этап",
    role: "Агент",
    mode: "Среда",
    model: "Модель",
    branch: "Ветка",
    next: "Следующие шаги",
    removed: "снимает",
    added: "ставит",
    final_labels: "итог",
    result: "Итог",
    none: "нет",
    hint: "Что можно сделать",
};

fn phase_text(phase: Phase, ru: bool) -> &'static str {
    match (phase, ru) {
        (Phase::Queued, false) => "⏳ queued behind an active run (starts when it ends)",
        (Phase::Queued, true) => {
            "⏳ в очереди за активным запуском (начнётся, когда он закончится)"
        }
        (Phase::Created, false) => "🆕 created",
        (Phase::PreparingRuntime, false) => "🛠️ preparing runtime",
        (Phase::Started, false) => "🏃 agent started",
        (Phase::Waiting, false) => "⏸️ waiting for the Owner (run timeout paused)",
        (Phase::Finished, false) => "🏁 finished",
        (Phase::Created, true) => "🆕 создан",
        (Phase::PreparingRuntime, true) => "🛠️ подготовка среды",
        (Phase::Started, true) => "🏃 агент работает",
        (Phase::Waiting, true) => "⏸️ ждём ответа Owner (таймаут запуска на паузе)",
        (Phase::Finished, true) => "🏁 завершён",
    }
}

fn intent_text(intent: StepIntent, ru: bool) -> &'static str {
    match (intent, ru) {
        (StepIntent::Revise, false) => "Revise",
        (StepIntent::Advance, false) => "Next stage",
        (StepIntent::Escalate, false) => "Escalate",
        (StepIntent::FastTrack, false) => "Fast track",
        (StepIntent::Rethink, false) => "Rethink",
        (StepIntent::DocAudit, false) => "Doc audit",
        (StepIntent::SelfImprove, false) => "Self-improve",
        (StepIntent::Remediate, false) => "Remediate",
        (StepIntent::Verify, false) => "Verify",
        (StepIntent::Restart, false) => "Restart",
        (StepIntent::PreReview, false) => "Reviewer pre-review",
        (StepIntent::Revise, true) => "Доработка",
        (StepIntent::Advance, true) => "Следующий этап",
        (StepIntent::Escalate, true) => "Эскалация",
        (StepIntent::FastTrack, true) => "Ускоренный путь",
        (StepIntent::Rethink, true) => "Переосмысление",
        (StepIntent::DocAudit, true) => "Аудит документации",
        (StepIntent::SelfImprove, true) => "Самоулучшение",
        (StepIntent::Remediate, true) => "Исправление",
        (StepIntent::Verify, true) => "Проверка",
        (StepIntent::Restart, true) => "Перезапуск",
        (StepIntent::PreReview, true) => "Пре-ревью ревьюером",
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The console deep link of a next step.
pub fn step_link(console_url: &str, repository: &str, step: &NextStep, label: &str) -> String {
    let (kind, thread) = match step.preview.action {
        Action::IssueStageTransition { issue, .. } => (
            "issue_stage_transition",
            format!("issue_number={}", issue.0),
        ),
        Action::PullRequestReviewRequest { pull_request } => (
            "pull_request_label_add",
            format!("pull_request_number={}", pull_request.0),
        ),
    };
    format!(
        "{}/?modal=next-step&repository_full_name={}&{thread}&action_kind={kind}&target_label={}",
        console_url.trim_end_matches('/'),
        encode(repository),
        encode(label)
    )
}

fn labels(list: &[crate::policy::LabelName], none: &str) -> String {
    if list.is_empty() {
        none.to_owned()
    } else {
        list.iter()
            .map(|l| format!("`{}`", l.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// How much of the outcome's first line the comment shows (a failure's cause with GitHub's
/// status and message fits).
const DETAIL_CHARS: usize = 500;

/// Renders the comment body (marker included).
pub fn render(view: &StatusView<'_>) -> String {
    let ru = view.run.locale == "ru";
    let w = if ru { &RU } else { &EN };
    let run = view.run;
    let mut out = format!("{}\n### {} `{}`\n\n", marker(run), w.title, run.id);
    out.push_str(&format!(
        "| | |\n|---|---|\n| {} | {} |\n",
        w.phase,
        phase_text(view.phase, ru)
    ));
    let stage = run
        .trigger
        .as_deref()
        .or(run.stage.as_deref())
        .unwrap_or(&run.kind);
    out.push_str(&format!(
        "| {} | `{stage}` |\n| {} | `{}` |\n",
        w.stage, w.role, run.role
    ));
    out.push_str(&format!(
        "| {} | `{}` · `{}` · `{}` |\n",
        w.mode, run.execution_mode, run.target_env, run.access_profile
    ));
    out.push_str(&format!(
        "| {} | `{}` · `{}` |\n| {} | `{}` |\n",
        w.model, run.model, run.reasoning, w.branch, run.branch
    ));
    if let Some(outcome) = &view.outcome {
        out.push_str(&format!("\n**{}: `{}`**", w.result, outcome.status));
        if let Some(detail) = &outcome.detail {
            out.push_str(&format!(
                " — {}",
                detail
                    .lines()
                    .next()
                    .unwrap_or("")
                    .chars()
                    .take(DETAIL_CHARS)
                    .collect::<String>()
            ));
        }
        out.push('\n');
        if let Some(hint) = &outcome.hint {
            out.push_str(&format!("\n{}: {hint}\n", w.hint));
        }
    }
    if view.phase == Phase::Finished && !view.next_steps.is_empty() {
        out.push_str(&format!("\n#### {}\n", w.next));
        for step in view.next_steps {
            let Some(label) = step.preview.diff.added_labels.first() else {
                continue;
            };
            let link = step_link(view.console_url, &run.repository, step, label.as_str());
            out.push_str(&format!(
                "- [{}: `{}`]({link}) — {} {}; {} {}; {}: {}\n",
                intent_text(step.intent, ru),
                label.as_str(),
                w.removed,
                labels(&step.preview.diff.removed_labels, w.none),
                w.added,
                labels(&step.preview.diff.added_labels, w.none),
                w.final_labels,
                labels(&step.preview.diff.final_labels, w.none),
            ));
        }
    }
    out
}
