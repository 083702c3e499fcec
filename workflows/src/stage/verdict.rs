//! The reviewer's verdict, read from its final message: the review completion contract
//! (`prompts/*/_completion.md`) ends the run with one JSON object carrying `verdict`, `summary`
//! and `blocking_findings` (ADR 0019).

use serde::{Deserialize, Serialize};

/// What the reviewer decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Decision {
    /// Ready for the Owner.
    Approve,
    /// Blocking findings: the stage is revised.
    ChangesRequested,
    /// Remarks only: ready for the Owner.
    Comment,
    /// No readable verdict: the Owner decides.
    None,
}

impl Decision {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::ChangesRequested => "changes_requested",
            Self::Comment => "comment",
            Self::None => "none",
        }
    }
}

/// A parsed verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Verdict {
    pub(crate) decision: Decision,
    pub(crate) summary: Option<String>,
    pub(crate) blocking_findings: Option<i32>,
}

/// Reads the verdict from the final message: the last JSON object in it (bare or fenced).
pub(crate) fn parse(final_message: Option<&str>) -> Verdict {
    let none = Verdict {
        decision: Decision::None,
        summary: None,
        blocking_findings: None,
    };
    let Some(text) = final_message else {
        return none;
    };
    let (Some(start), Some(end)) = (text.find('{'), text.rfind('}')) else {
        return none;
    };
    let Some(object) = text
        .get(start..=end)
        .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
    else {
        return none;
    };
    let decision = match object
        .get("verdict")
        .and_then(|v| v.as_str())
        .map(|v| v.trim().to_lowercase().replace([' ', '-'], "_"))
        .as_deref()
    {
        Some("approve" | "approved") => Decision::Approve,
        Some("changes_requested" | "request_changes") => Decision::ChangesRequested,
        Some("comment" | "commented") => Decision::Comment,
        _ => Decision::None,
    };
    Verdict {
        decision,
        summary: object
            .get("summary")
            .and_then(|s| s.as_str())
            .map(str::to_owned),
        blocking_findings: object
            .get("blocking_findings")
            .and_then(|n| n.as_i64())
            .and_then(|n| i32::try_from(n).ok()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(message: Option<&str>, expected: Decision) {
        assert_eq!(parse(message).decision, expected, "{message:?}");
    }

    #[test]
    fn the_verdict_comes_from_the_final_json_object() {
        check(
            Some(r#"{"status":"done","summary":"ok","verdict":"approve","blocking_findings":0}"#),
            Decision::Approve,
        );
        check(
            Some(
                "Done.\n```json\n{\"verdict\": \"changes_requested\", \"summary\": \"fix the test\", \"blocking_findings\": 2}\n```",
            ),
            Decision::ChangesRequested,
        );
        check(
            Some(r#"{"verdict":"Request-Changes"}"#),
            Decision::ChangesRequested,
        );
        check(Some(r#"{"verdict":"comment"}"#), Decision::Comment);
        check(
            Some(r#"{"verdict":"approve | changes_requested | comment"}"#),
            Decision::None,
        );
        check(Some("looks good to me"), Decision::None);
        check(Some("{not json}"), Decision::None);
        check(None, Decision::None);
        let v = parse(Some(
            r#"{"verdict":"changes_requested","summary":"fix it","blocking_findings":2}"#,
        ));
        assert_eq!(v.summary.as_deref(), Some("fix it"));
        assert_eq!(v.blocking_findings, Some(2));
    }
}
