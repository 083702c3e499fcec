//! Why a stage run ended, as its cleanup tells it: the engine run's error (code and message) for
//! the mirror, and in the status comment the same cause in safe wording (GitHub's status and
//! message, never a token or a request body) with what the Owner can do about it.

use serde_json::Value;

use crate::github_step;

/// Why a stage run ended without succeeding: its engine run's error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cause {
    code: String,
    message: String,
}

impl Cause {
    /// Reads the engine run's stored error (`{"code": …, "message": …}`).
    pub(crate) fn of_run_error(error: Option<&Value>) -> Option<Self> {
        let error = error?;
        let text = |key: &str| error.get(key).and_then(Value::as_str).map(str::to_owned);
        Some(Self {
            code: text("code").unwrap_or_else(|| "error".to_owned()),
            message: text("message").unwrap_or_default(),
        })
    }

    /// Whether GitHub kept rate-limiting past the bound: the thread gets `need:input`.
    pub(crate) fn asks_for_input(&self) -> bool {
        self.code == github_step::RATE_LIMITED
    }

    /// What the mirror records (`agent_runs.failure`): code and message, tokens masked.
    pub(crate) fn record(&self) -> String {
        mask_tokens(&format!("{}: {}", self.code, self.message))
    }

    /// The comment's one-line account of the cause.
    pub(crate) fn detail(&self, ru: bool) -> String {
        let message = mask_tokens(&self.message);
        match (self.code.as_str(), ru) {
            (github_step::RATE_LIMITED, false) => {
                format!("GitHub rate-limited the platform: {message}")
            }
            (github_step::RATE_LIMITED, true) => {
                format!("GitHub ограничил частоту запросов платформы: {message}")
            }
            (code, false) if is_github(code) => format!("GitHub refused a call: {message}"),
            (code, true) if is_github(code) => format!("GitHub отказал в запросе: {message}"),
            (code, _) => format!("{code}: {message}"),
        }
    }

    /// What the Owner can do, for the causes the platform knows.
    pub(crate) fn hint(&self, ru: bool) -> Option<&'static str> {
        use github_step::{
            BAD_CREDENTIALS, FORBIDDEN, NOT_FOUND, RATE_LIMITED, REFUSED, TIMED_OUT, UNAVAILABLE,
        };
        Some(match (self.code.as_str(), ru) {
            (RATE_LIMITED, false) => {
                "the thread got `need:input`. Wait until GitHub's limit resets (a secondary limit within minutes, the hourly one within the hour), then remove `need:input` and add the run label again, or ask an operator to retry the run."
            }
            (RATE_LIMITED, true) => {
                "на треде поставлен `need:input`. Дождитесь сброса лимита GitHub (вторичный — за минуты, часовой — в течение часа), затем снимите `need:input` и поставьте метку запуска снова или попросите оператора повторить запуск."
            }
            (BAD_CREDENTIALS, false) => {
                "GitHub does not accept the platform's token (revoked or expired): ask an operator to replace it, then retry the run."
            }
            (BAD_CREDENTIALS, true) => {
                "GitHub не принимает токен платформы (отозван или истёк): попросите оператора заменить его, затем повторите запуск."
            }
            (FORBIDDEN, false) => {
                "the platform's token lacks a permission on this repository: ask an operator to grant it (or install the app here), then retry the run."
            }
            (FORBIDDEN, true) => {
                "у токена платформы нет нужного права на этот репозиторий: попросите оператора выдать его (или установить приложение), затем повторите запуск."
            }
            (NOT_FOUND, false) => {
                "the repository, thread or branch is gone, renamed, or hidden from the platform's token: check it, then start a new run."
            }
            (NOT_FOUND, true) => {
                "репозиторий, тред или ветка удалены, переименованы или не видны токену платформы: проверьте их и запустите заново."
            }
            (UNAVAILABLE | TIMED_OUT, false) => {
                "GitHub kept failing or not answering past the retries: check githubstatus.com, then retry the run."
            }
            (UNAVAILABLE | TIMED_OUT, true) => {
                "GitHub не отвечал или отвечал ошибкой после всех повторов: проверьте githubstatus.com и повторите запуск."
            }
            (REFUSED, false) => {
                "GitHub refused the request as it was: ask an operator to look at the run's failed step."
            }
            (REFUSED, true) => {
                "GitHub отклонил запрос: попросите оператора посмотреть упавший шаг запуска."
            }
            _ => return None,
        })
    }
}

fn is_github(code: &str) -> bool {
    code.starts_with("github_")
}

/// Masks anything shaped like a GitHub token (`ghp_…`, `ghs_…`, `github_pat_…`): GitHub's
/// messages never carry one, but the comment is public, so the cause is masked anyway.
pub(crate) fn mask_tokens(text: &str) -> String {
    const PREFIXES: [&str; 6] = ["github_pat_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_"];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let found = PREFIXES
            .iter()
            .filter_map(|p| rest.find(p).map(|at| (at, p.len())))
            .min();
        let Some((at, prefix)) = found else {
            out.push_str(rest);
            break;
        };
        out.push_str(&rest[..at]);
        let tail = &rest[at + prefix..];
        let secret = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        if secret >= 8 {
            out.push_str("[redacted]");
        } else {
            out.push_str(&rest[at..at + prefix + secret]);
        }
        rest = &tail[secret..];
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn cause(code: &str, message: &str) -> Cause {
        Cause::of_run_error(Some(&json!({ "code": code, "message": message }))).unwrap()
    }

    #[test]
    fn a_refused_call_reads_with_its_status_message_and_what_to_do() {
        let c = cause(
            "github_bad_credentials",
            "step pickup_reaction failed after 1 attempt(s): add reaction eyes to acme/shop#45: github answered 401 Unauthorized: Bad credentials (with the bot token)",
        );
        let detail = c.detail(false);
        assert!(
            detail.starts_with("GitHub refused a call: ")
                && detail.contains("401 Unauthorized: Bad credentials"),
            "{detail}"
        );
        assert!(c.hint(false).unwrap().contains("replace it"));
        assert!(c.hint(true).is_some());
        assert!(!c.asks_for_input());
        assert!(
            c.record()
                .starts_with("github_bad_credentials: step pickup_reaction")
        );
    }

    #[test]
    fn a_rate_limit_past_the_bound_asks_for_input() {
        let c = cause(
            "github_rate_limited",
            "step pickup_reaction#3 failed after 1 attempt(s): add reaction eyes to acme/shop#45: github answered 429 Too Many Requests: You have exceeded a secondary rate limit. (with the bot token) (still rate-limited after 3 waits)",
        );
        assert!(c.asks_for_input());
        assert!(
            c.detail(false)
                .starts_with("GitHub rate-limited the platform: ")
        );
        assert!(c.hint(false).unwrap().contains("need:input"));
    }

    #[test]
    fn other_causes_keep_their_code_and_no_hint() {
        let c = cause("agent_failed", "agent exited with code 3");
        assert_eq!(c.detail(false), "agent_failed: agent exited with code 3");
        assert_eq!(c.hint(false), None);
        assert_eq!(Cause::of_run_error(None), None);
    }

    #[test]
    fn token_shaped_words_are_masked() {
        assert_eq!(
            mask_tokens("bad ghp_abcdefghijklmnop and github_pat_11ABCDEFG_xyz1234567 end"),
            "bad [redacted] and [redacted] end"
        );
        assert_eq!(
            mask_tokens("the ghs_ prefix alone"),
            "the ghs_ prefix alone"
        );
        assert_eq!(mask_tokens("no tokens here"), "no tokens here");
    }
}
