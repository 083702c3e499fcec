//! Prompt locales and the chain that picks one.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A language prompts are written in; it is also the language the agent writes to people in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Locale {
    /// English, the last resort of every chain.
    En,
    /// Russian.
    Ru,
}

impl Locale {
    /// Every locale that has seeds.
    pub const ALL: [Self; 2] = [Self::En, Self::Ru];

    /// The locale used when nothing else is configured or a template is missing.
    pub const FALLBACK: Self = Self::En;

    /// The wire name, also the seed folder (`prompts/<locale>/`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Ru => "ru",
        }
    }

    /// Reads a configured locale tag: `ru`, `ru-RU`, `ru_RU.UTF-8` mean Russian, `en*` English,
    /// anything else (or empty) is not a supported locale.
    pub fn parse(tag: &str) -> Option<Self> {
        let tag = tag.trim().to_ascii_lowercase();
        let language = tag.split(['-', '_', '.']).next().unwrap_or_default();
        match language {
            "en" => Some(Self::En),
            "ru" => Some(Self::Ru),
            _ => None,
        }
    }

    /// The effective locale: the project's, else the system default, else English.
    /// A value that is not a supported locale counts as unset.
    pub fn effective(project: Option<&str>, system: Option<&str>) -> Self {
        project
            .and_then(Self::parse)
            .or_else(|| system.and_then(Self::parse))
            .unwrap_or(Self::FALLBACK)
    }

    /// The locales a template is looked up in: this one, then the fallback.
    pub fn chain(self) -> Vec<Self> {
        if self == Self::FALLBACK {
            vec![self]
        } else {
            vec![self, Self::FALLBACK]
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Locale::{self, En, Ru};

    #[test]
    fn the_effective_locale_is_project_then_system_then_english() {
        let cases = [
            (Some("ru"), None, Ru),
            (Some("ru_RU.UTF-8"), Some("en"), Ru),
            (None, Some("ru"), Ru),
            (Some(""), Some("RU-ru"), Ru),
            (Some("en"), Some("ru"), En),
            (Some("de"), None, En),
            (Some("de"), Some("fr"), En),
            (None, None, En),
        ];
        for (project, system, expected) in cases {
            assert_eq!(
                Locale::effective(project, system),
                expected,
                "{project:?} {system:?}"
            );
        }
    }

    #[test]
    fn a_chain_ends_in_english_once() {
        assert_eq!(Ru.chain(), vec![Ru, En]);
        assert_eq!(En.chain(), vec![En]);
    }
}
