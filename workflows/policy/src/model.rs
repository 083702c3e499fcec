//! Model ids and reasoning efforts: the values model and reasoning labels select.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::{Error, Result};

/// A model id passed to the agent, e.g. `gpt-5.4`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ModelName(String);

impl ModelName {
    /// Parses a model id; it is trimmed and must not be empty.
    pub fn parse(raw: &str) -> Result<Self> {
        match raw.trim() {
            "" => Err(Error::EmptyModel),
            name => Ok(Self(name.to_owned())),
        }
    }

    /// The model id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ModelName {
    type Error = Error;

    fn try_from(raw: String) -> Result<Self> {
        Self::parse(&raw)
    }
}

impl From<ModelName> for String {
    fn from(model: ModelName) -> Self {
        model.0
    }
}

impl fmt::Display for ModelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reasoning effort passed to the agent; serialised with the Codex CLI names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasoningEffort {
    /// `low`.
    Low,
    /// `medium`.
    Medium,
    /// `high`, the default.
    High,
    /// `xhigh`.
    #[serde(rename = "xhigh")]
    ExtraHigh,
}

impl ReasoningEffort {
    /// Every effort, lowest first.
    pub const ALL: [Self; 4] = [Self::Low, Self::Medium, Self::High, Self::ExtraHigh];

    /// The Codex CLI name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::ExtraHigh => "xhigh",
        }
    }

    /// The earlier system's label, e.g. `[ai-reasoning-extra-high]`.
    pub fn default_label(self) -> String {
        let word = match self {
            Self::ExtraHigh => "extra-high",
            other => other.as_str(),
        };
        format!("[ai-reasoning-{word}]")
    }
}
