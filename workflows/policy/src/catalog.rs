//! The label catalog: which configured name means what.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::config::LabelConfig;
use super::error::{Error, Result};
use super::label::{LabelName, LabelSet};
use super::model::{ModelName, ReasoningEffort};
use super::trigger::Trigger;

/// A `state:*` label: status only, never starts a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StateLabel {
    /// Execution is blocked; no stage may start.
    Blocked,
    /// An artifact waits for the Owner's review.
    InReview,
    /// The stage or artifact is accepted.
    Approved,
    /// Replaced by a newer artifact.
    Superseded,
    /// Work stopped.
    Abandoned,
}

/// A `need:*` label: asks someone to take part; only `need:reviewer` on a pull request starts a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NeedLabel {
    /// The Owner must answer or decide.
    Input,
    /// Product manager review.
    Pm,
    /// Solution architect review.
    Sa,
    /// QA review.
    Qa,
    /// SRE review.
    Sre,
    /// Engineering manager review.
    Em,
    /// Knowledge manager review.
    Km,
    /// Pre-review by the reviewer agent.
    Reviewer,
}

impl StateLabel {
    /// Every state label, in declaration order.
    pub const ALL: [Self; 5] = [
        Self::Blocked,
        Self::InReview,
        Self::Approved,
        Self::Superseded,
        Self::Abandoned,
    ];

    /// The earlier system's name, e.g. `state:in-review`.
    pub fn default_label(self) -> String {
        format!("state:{}", wire_name(self).replace('_', "-"))
    }
}

impl NeedLabel {
    /// Every need label, in declaration order.
    pub const ALL: [Self; 8] = [
        Self::Input,
        Self::Pm,
        Self::Sa,
        Self::Qa,
        Self::Sre,
        Self::Em,
        Self::Km,
        Self::Reviewer,
    ];

    /// The earlier system's name, e.g. `need:input`.
    pub fn default_label(self) -> String {
        format!("need:{}", wire_name(self))
    }
}

/// The snake_case serde name of a unit variant.
fn wire_name(value: impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

/// What a label means to the policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LabelKind {
    /// A `run:*` trigger.
    Trigger(Trigger),
    /// A `state:*` label.
    State(StateLabel),
    /// A `need:*` label.
    Need(NeedLabel),
    /// The discussion-mode label.
    Discussion,
    /// A model label.
    Model(ModelName),
    /// A reasoning-effort label.
    Reasoning(ReasoningEffort),
}

impl fmt::Display for LabelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Trigger(t) => write!(f, "trigger {}", wire_name(t)),
            Self::State(s) => write!(f, "state {}", wire_name(s)),
            Self::Need(n) => write!(f, "need {}", wire_name(n)),
            Self::Discussion => f.write_str("discussion"),
            Self::Model(m) => write!(f, "model {m}"),
            Self::Reasoning(r) => write!(f, "reasoning {}", r.as_str()),
        }
    }
}

/// The validated catalog: parsed names and a lookup from name to meaning.
#[derive(Clone, Debug)]
pub struct LabelCatalog {
    triggers: Vec<LabelName>,
    states: Vec<LabelName>,
    needs: Vec<LabelName>,
    discussion: LabelName,
    kinds: HashMap<String, LabelKind>,
}

impl LabelCatalog {
    /// Parses every configured name and rejects names that would be ambiguous.
    pub fn new(config: &LabelConfig) -> Result<Self> {
        let mut kinds = HashMap::new();
        let mut add = |raw: &str, kind: LabelKind| -> Result<LabelName> {
            let label = LabelName::parse(raw)?;
            if let Some(first) = kinds.insert(label.key().to_owned(), kind.clone()) {
                return Err(Error::DuplicateLabel {
                    label: label.to_string(),
                    first: first.to_string(),
                    second: kind.to_string(),
                });
            }
            Ok(label)
        };
        let pick = |map: Option<&String>, default: String| map.cloned().unwrap_or(default);
        let triggers = Trigger::ALL
            .iter()
            .map(|&t| {
                add(
                    &pick(config.triggers.get(&t), t.default_label()),
                    LabelKind::Trigger(t),
                )
            })
            .collect::<Result<_>>()?;
        let states = StateLabel::ALL
            .iter()
            .map(|&s| {
                add(
                    &pick(config.states.get(&s), s.default_label()),
                    LabelKind::State(s),
                )
            })
            .collect::<Result<_>>()?;
        let needs = NeedLabel::ALL
            .iter()
            .map(|&n| {
                add(
                    &pick(config.needs.get(&n), n.default_label()),
                    LabelKind::Need(n),
                )
            })
            .collect::<Result<_>>()?;
        let discussion = add(&config.discussion, LabelKind::Discussion)?;
        for entry in &config.models {
            add(
                &entry.label,
                LabelKind::Model(ModelName::parse(&entry.model)?),
            )?;
        }
        for &r in &ReasoningEffort::ALL {
            add(
                &pick(config.reasoning.get(&r), r.default_label()),
                LabelKind::Reasoning(r),
            )?;
        }
        Ok(Self {
            triggers,
            states,
            needs,
            discussion,
            kinds,
        })
    }

    /// What `label` means, or `None` for a label the policy does not know.
    pub fn kind(&self, label: &LabelName) -> Option<&LabelKind> {
        self.kinds.get(label.key())
    }

    /// The configured name of a trigger.
    pub fn trigger(&self, trigger: Trigger) -> &LabelName {
        &self.triggers[trigger.index()]
    }

    /// The configured name of a state label.
    pub fn state(&self, state: StateLabel) -> &LabelName {
        &self.states[state as usize]
    }

    /// The configured name of a need label.
    pub fn need(&self, need: NeedLabel) -> &LabelName {
        &self.needs[need as usize]
    }

    /// The configured discussion-mode label.
    pub fn discussion(&self) -> &LabelName {
        &self.discussion
    }

    /// The triggers among `labels`, in label order.
    pub fn triggers_in(&self, labels: &LabelSet) -> Vec<Trigger> {
        labels
            .iter()
            .filter_map(|l| match self.kind(l) {
                Some(LabelKind::Trigger(t)) => Some(*t),
                _ => None,
            })
            .collect()
    }

    /// The `run:*` labels among `labels`, as written there.
    pub fn trigger_labels_in(&self, labels: &LabelSet) -> Vec<LabelName> {
        labels
            .iter()
            .filter(|l| matches!(self.kind(l), Some(LabelKind::Trigger(_))))
            .cloned()
            .collect()
    }

    /// Whether `labels` holds the given state label.
    pub fn has_state(&self, labels: &LabelSet, state: StateLabel) -> bool {
        labels.contains(self.state(state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(json: &str) -> Result<LabelCatalog> {
        let config: LabelConfig = serde_json::from_str(json).expect("valid json");
        LabelCatalog::new(&config)
    }

    fn check(json: &str, label: &str, expected: &str) {
        let actual = match catalog(json) {
            Ok(catalog) => {
                let label = LabelName::parse(label).expect("valid label");
                catalog
                    .kind(&label)
                    .map_or("unknown".to_owned(), ToString::to_string)
            }
            Err(error) => format!("error: {error}"),
        };
        assert_eq!(actual, expected, "{json} {label}");
    }

    #[test]
    fn defaults_know_every_label_class() {
        check(
            "{}",
            "run:self-improve:revise",
            "trigger self_improve_revise",
        );
        check("{}", "State:In-Review", "state in_review");
        check("{}", " need:reviewer ", "need reviewer");
        check("{}", "MODE:DISCUSSION", "discussion");
        check(
            "{}",
            "[ai-model-gpt-5.3-codex-spark]",
            "model gpt-5.3-codex-spark",
        );
        check("{}", "ai-model-gpt-5.2", "model gpt-5.2");
        check("{}", "[ai-reasoning-extra-high]", "reasoning xhigh");
        check("{}", "run:debug", "unknown");
        check("{}", "bug", "unknown");
    }

    #[test]
    fn default_state_and_need_names_match_the_earlier_system() {
        let names = |labels: Vec<String>| labels.join(" ");
        assert_eq!(
            names(StateLabel::ALL.map(StateLabel::default_label).into()),
            "state:blocked state:in-review state:approved state:superseded state:abandoned"
        );
        assert_eq!(
            names(NeedLabel::ALL.map(NeedLabel::default_label).into()),
            "need:input need:pm need:sa need:qa need:sre need:em need:km need:reviewer"
        );
    }

    #[test]
    fn every_name_can_be_overridden_and_the_rest_keep_defaults() {
        let json = r#"{"triggers":{"dev":" Go:Dev "},"states":{"blocked":"blocked"},
            "needs":{"input":"question"},"discussion":"talk",
            "models":[{"label":"m:fast","model":"gpt-x"}],"reasoning":{"low":"think:low"}}"#;
        check(json, "go:dev", "trigger dev");
        check(json, "run:dev", "unknown");
        check(json, "run:dev:revise", "trigger dev_revise");
        check(json, "BLOCKED", "state blocked");
        check(json, "question", "need input");
        check(json, "talk", "discussion");
        check(json, "m:fast", "model gpt-x");
        check(json, "[ai-model-gpt-5.4]", "unknown");
        check(json, "think:low", "reasoning low");
        check(json, "[ai-reasoning-high]", "reasoning high");
    }

    #[test]
    fn clashing_or_empty_names_are_rejected() {
        check(
            r#"{"triggers":{"qa":"RUN:DEV"}}"#,
            "x",
            r#"error: label "RUN:DEV" is configured both as trigger dev and as trigger qa"#,
        );
        check(r#"{"discussion":"  "}"#, "x", "error: label name is empty");
        check(
            r#"{"models":[{"label":"m","model":" "}]}"#,
            "x",
            "error: model name is empty",
        );
    }

    #[test]
    fn configured_names_are_returned_as_written() {
        let catalog = catalog(r#"{"triggers":{"rethink":" Run:Rethink "}}"#).expect("valid");
        assert_eq!(catalog.trigger(Trigger::Rethink).as_str(), "Run:Rethink");
        assert_eq!(catalog.need(NeedLabel::Reviewer).as_str(), "need:reviewer");
        assert_eq!(
            catalog.state(StateLabel::Abandoned).as_str(),
            "state:abandoned"
        );
    }
}
