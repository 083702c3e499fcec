//! One-off comments routing posts (conflict, warning, need-input, failed precondition), in the
//! project's locale. The run's own status comment is rendered by `stage::comment`.

use crate::policy::{Decision, LabelCatalog, Trigger};

/// A hidden marker so these comments can be told apart from people's.
const MARKER: &str = "<!-- codex-k8s:routing -->";

fn ru(locale: &str) -> bool {
    locale == "ru"
}

/// The comment text for a decision that needs one, if any.
pub(crate) fn render(decision: &Decision, catalog: &LabelCatalog, locale: &str) -> Option<String> {
    let body = match decision {
        Decision::Conflict { reason, labels, .. } => {
            let list = labels
                .iter()
                .map(|l| format!("`{}`", l.as_str()))
                .collect::<Vec<_>>()
                .join(", ");
            if ru(locale) {
                format!(
                    "⚠️ Запуск не выполнен: на задаче несколько триггер-меток ({list}). Оставьте одну метку `run:*` и поставьте её заново.\n\nКод причины: `{reason}`"
                )
            } else {
                format!(
                    "⚠️ No run started: this thread has more than one trigger label ({list}). Keep exactly one `run:*` label and apply it again.\n\nReason code: `{reason}`"
                )
            }
        }
        Decision::Warn { reason, .. } if *reason == crate::policy::ReasonCode::NeedInputOpen => {
            let need = catalog.need(crate::policy::NeedLabel::Input).as_str();
            if ru(locale) {
                format!(
                    "⏸️ Запуск не выполнен: на задаче открыт `{need}`. Ответьте на вопрос, снимите `{need}` и поставьте метку заново.\n\nКод причины: `{reason}`"
                )
            } else {
                format!(
                    "⏸️ No run started: this Issue has an open `{need}`. Answer the question, remove `{need}` and apply the label again.\n\nReason code: `{reason}`"
                )
            }
        }
        Decision::Warn { reason, .. } => {
            if ru(locale) {
                format!(
                    "⚠️ Запуск не выполнен. Код причины: `{reason}`. Если репозиторий не подключён к проекту, подключите его в консоли codex-k8s."
                )
            } else {
                format!(
                    "⚠️ No run started. Reason code: `{reason}`. If the repository is not bound to a project, bind it in the codex-k8s console."
                )
            }
        }
        Decision::NeedInput {
            reason,
            suggestions,
            ..
        } => {
            let list = suggestions
                .iter()
                .map(|t: &Trigger| format!("`{}`", catalog.trigger(*t).as_str()))
                .collect::<Vec<_>>()
                .join(", ");
            let need = catalog.need(crate::policy::NeedLabel::Input).as_str();
            // Without a suggestion the comment says what to do instead of ending on an empty list.
            match (ru(locale), list.is_empty()) {
                (true, false) => format!(
                    "❓ Нужен ввод (`{need}`): платформа не может однозначно выбрать запуск. Код причины: `{reason}`.\n\nВозможные следующие шаги: {list}"
                ),
                (true, true) => format!(
                    "❓ Нужен ввод (`{need}`): платформа не может однозначно выбрать запуск. Код причины: `{reason}`.\n\nОтветьте в обсуждении, снимите `{need}` и поставьте одну метку `run:*`."
                ),
                (false, false) => format!(
                    "❓ Input needed (`{need}`): the platform cannot choose a run unambiguously. Reason code: `{reason}`.\n\nPossible next steps: {list}"
                ),
                (false, true) => format!(
                    "❓ Input needed (`{need}`): the platform cannot choose a run unambiguously. Reason code: `{reason}`.\n\nAnswer on this thread, remove `{need}` and apply one `run:*` label."
                ),
            }
        }
        Decision::FailPrecondition {
            reason,
            detail,
            trigger_label,
            ..
        } => {
            if ru(locale) {
                format!(
                    "❌ Запуск `{}` не выполнен (failed_precondition): {detail}\n\nКод причины: `{reason}`",
                    trigger_label.as_str()
                )
            } else {
                format!(
                    "❌ Run `{}` failed (failed_precondition): {detail}\n\nReason code: `{reason}`",
                    trigger_label.as_str()
                )
            }
        }
        _ => return None,
    };
    Some(format!("{MARKER}\n{body}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{IssueNumber, Policy, PolicyConfig, ReasonCode, Thread};

    fn need_input(suggestions: Vec<Trigger>, locale: &str) -> String {
        let policy = Policy::new(&PolicyConfig::default()).unwrap();
        let decision = Decision::NeedInput {
            reason: ReasonCode::PullRequestReviewStageNotResolved,
            thread: Thread::Issue(IssueNumber(7)),
            suggestions,
        };
        render(&decision, policy.catalog(), locale).unwrap()
    }

    #[test]
    fn a_need_input_comment_never_ends_with_an_empty_list_of_next_steps() {
        for locale in ["en", "ru"] {
            let body = need_input(Vec::new(), locale);
            assert!(!body.trim_end().ends_with(':'), "{body}");
            assert!(body.contains("run:*"), "{body}");
            let body = need_input(vec![Trigger::DevRevise], locale);
            assert!(body.trim_end().ends_with("`run:dev:revise`"), "{body}");
        }
    }
}
