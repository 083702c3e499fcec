//! Policy configuration and the validated policy built from it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::catalog::{LabelCatalog, NeedLabel, StateLabel};
use super::error::Result;
use super::event::Login;
use super::model::{ModelName, ReasoningEffort};
use super::runtime::ModePolicy;
use super::trigger::Trigger;

/// Everything routing can be configured with; the defaults are the earlier system's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyConfig {
    /// Label names.
    pub labels: LabelConfig,
    /// Execution modes per trigger.
    pub modes: ModePolicy,
    /// The platform's bot login; its events never start runs by themselves.
    pub bot_login: String,
    /// Model when no label or history picks one.
    pub default_model: String,
    /// Reasoning effort when no label or history picks one.
    pub default_reasoning: ReasoningEffort,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            labels: LabelConfig::default(),
            modes: ModePolicy::default(),
            bot_login: "codex-bot".to_owned(),
            default_model: "gpt-5.4".to_owned(),
            default_reasoning: ReasoningEffort::High,
        }
    }
}

/// A model label and the model it selects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelLabelConfig {
    /// The label name, e.g. `[ai-model-gpt-5.4]`.
    pub label: String,
    /// The model id passed to the agent, e.g. `gpt-5.4`.
    pub model: String,
}

/// Configured label names; every name can be overridden.
///
/// A map entry that is missing falls back to the earlier system's name.
/// `models` replaces the default model list whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LabelConfig {
    /// `run:*` names per trigger.
    pub triggers: BTreeMap<Trigger, String>,
    /// `state:*` names.
    pub states: BTreeMap<StateLabel, String>,
    /// `need:*` names.
    pub needs: BTreeMap<NeedLabel, String>,
    /// The discussion-mode label.
    pub discussion: String,
    /// Model labels.
    pub models: Vec<ModelLabelConfig>,
    /// Reasoning-effort labels.
    pub reasoning: BTreeMap<ReasoningEffort, String>,
}

impl Default for LabelConfig {
    fn default() -> Self {
        let models = [
            "gpt-5.4",
            "gpt-5.3-codex",
            "gpt-5.3-codex-spark",
            "gpt-5.2-codex",
            "gpt-5.1-codex-max",
            "gpt-5.2",
            "gpt-5.1-codex-mini",
        ];
        Self {
            triggers: Trigger::ALL.map(|t| (t, t.default_label())).into(),
            states: StateLabel::ALL.map(|s| (s, s.default_label())).into(),
            needs: NeedLabel::ALL.map(|n| (n, n.default_label())).into(),
            discussion: "mode:discussion".to_owned(),
            models: models
                .map(|model| ModelLabelConfig {
                    label: format!("[ai-model-{model}]"),
                    model: model.to_owned(),
                })
                .into(),
            reasoning: ReasoningEffort::ALL.map(|r| (r, r.default_label())).into(),
        }
    }
}

/// A validated policy: build it once from configuration and route every event through it.
#[derive(Clone, Debug)]
pub struct Policy {
    catalog: LabelCatalog,
    modes: ModePolicy,
    bot: Login,
    default_model: ModelName,
    default_reasoning: ReasoningEffort,
}

impl Policy {
    /// Validates the configuration; fails on an empty or ambiguous name.
    pub fn new(config: &PolicyConfig) -> Result<Self> {
        Ok(Self {
            catalog: LabelCatalog::new(&config.labels)?,
            modes: config.modes.clone(),
            bot: Login::parse(&config.bot_login)?,
            default_model: ModelName::parse(&config.default_model)?,
            default_reasoning: config.default_reasoning,
        })
    }

    /// The label catalog.
    pub fn catalog(&self) -> &LabelCatalog {
        &self.catalog
    }

    /// The execution-mode policy.
    pub fn modes(&self) -> &ModePolicy {
        &self.modes
    }

    /// The platform bot's login.
    pub fn bot(&self) -> &Login {
        &self.bot
    }

    /// The default model.
    pub fn default_model(&self) -> &ModelName {
        &self.default_model
    }

    /// The default reasoning effort.
    pub fn default_reasoning(&self) -> ReasoningEffort {
        self.default_reasoning
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_document_gives_the_default_policy() {
        let config: PolicyConfig = serde_json::from_str("{}").expect("valid");
        assert_eq!(config, PolicyConfig::default());
        let policy = Policy::new(&config).expect("valid");
        assert_eq!(policy.bot().as_str(), "codex-bot");
        assert_eq!(policy.default_model().as_str(), "gpt-5.4");
    }

    #[test]
    fn unknown_fields_and_bad_values_are_rejected() {
        assert!(serde_json::from_str::<PolicyConfig>(r#"{"labelz":{}}"#).is_err());
        let config: PolicyConfig = serde_json::from_str(r#"{"bot_login":" "}"#).expect("valid");
        assert_eq!(
            Policy::new(&config).map(|_| ()).map_err(|e| e.to_string()),
            Err("login is empty".to_owned())
        );
    }
}
