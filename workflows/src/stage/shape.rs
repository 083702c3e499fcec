//! A stage run's shape, parsed once from its stored record: role, stage, trigger, template kind,
//! and the write scope its agent must respect.

use crate::{
    policy::{Role, RunKind, Stage, Trigger},
    prompt::{Kind, WriteScope},
    store::agent_run::AgentRun,
};

/// What kind of run a record describes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape {
    pub(crate) role: Role,
    pub(crate) stage: Option<Stage>,
    pub(crate) trigger: Option<Trigger>,
    pub(crate) kind: Kind,
}

fn parse<T: serde::de::DeserializeOwned>(field: &str, raw: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(raw.to_owned()))
        .map_err(|_| format!("unknown {field} {raw:?}"))
}

impl Shape {
    /// Parses the record's role, stage and trigger.
    pub(crate) fn of(run: &AgentRun) -> Result<Self, String> {
        let role: Role = parse("role", &run.role)?;
        let stage: Option<Stage> = run
            .stage
            .as_deref()
            .map(|s| parse("stage", s))
            .transpose()?;
        let trigger: Option<Trigger> = run
            .trigger
            .as_deref()
            .map(|t| parse("trigger", t))
            .transpose()?;
        let run_kind = match (run.kind.as_str(), trigger) {
            ("stage", Some(t)) => RunKind::Stage(t),
            ("reviewer", _) => RunKind::Reviewer,
            _ => RunKind::Discussion,
        };
        let kind = Kind::for_run(run_kind, trigger.is_some_and(Trigger::is_revise));
        Ok(Self {
            role,
            stage,
            trigger,
            kind,
        })
    }

    /// The files the agent may change.
    pub(crate) fn write_scope(&self) -> WriteScope {
        WriteScope::for_run(self.role, self.kind, self.stage)
    }
}

/// The changed files outside the scope, if any.
pub(crate) fn outside_scope(scope: WriteScope, changed: &[String]) -> Vec<String> {
    let markdown = |f: &String| f.to_lowercase().ends_with(".md");
    match scope {
        WriteScope::Any => Vec::new(),
        WriteScope::Nothing => changed.to_vec(),
        WriteScope::Markdown => changed.iter().filter(|f| !markdown(f)).cloned().collect(),
        WriteScope::SelfImprove => changed
            .iter()
            .filter(|f| !markdown(f) && !f.starts_with("prompts/"))
            .cloned()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documentation_stages_may_change_only_markdown_and_reviews_nothing() {
        let changed = vec![
            "docs/prd.md".to_owned(),
            "src/main.rs".to_owned(),
            "prompts/en/dev-work.md".to_owned(),
        ];
        assert_eq!(
            outside_scope(WriteScope::Markdown, &changed),
            vec!["src/main.rs".to_owned()]
        );
        assert!(outside_scope(WriteScope::Any, &changed).is_empty());
        assert_eq!(outside_scope(WriteScope::Nothing, &changed).len(), 3);
        assert_eq!(
            outside_scope(WriteScope::SelfImprove, &changed),
            vec!["src/main.rs".to_owned()]
        );
        assert!(outside_scope(WriteScope::Markdown, &["README.MD".to_owned()]).is_empty());
    }
}
