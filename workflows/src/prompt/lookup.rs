//! Which template a run uses: active project override, then active system override, then the
//! repo seed, in the effective locale first and in English when that locale has none.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::{Error, Result};
use super::kind::{Kind, role_str};
use super::locale::Locale;
use super::seed::SeedTable;
use crate::policy::Role;

/// Where a template came from; recorded with every rendered prompt for audit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Source {
    /// An active override of the run's project.
    ProjectOverride {
        /// Its version.
        version: i32,
    },
    /// An active system-wide override.
    SystemOverride {
        /// Its version.
        version: i32,
    },
    /// The seed embedded from `prompts/` in this build.
    RepoSeed,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ProjectOverride { version } => write!(f, "project_override@v{version}"),
            Self::SystemOverride { version } => write!(f, "system_override@v{version}"),
            Self::RepoSeed => f.write_str("repo_seed"),
        }
    }
}

/// The effective template body of a role and kind, with where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    /// The minijinja Markdown body.
    pub body: Cow<'static, str>,
    /// Where it came from.
    pub source: Source,
    /// The locale it is written in (English when the effective locale had none).
    pub locale: Locale,
}

/// An active override row as the lookup query returns it.
#[derive(Clone, Debug)]
pub(crate) struct ActiveOverride {
    /// `true` for a project override, `false` for a system one.
    pub(crate) project: bool,
    pub(crate) locale: Locale,
    pub(crate) version: i32,
    pub(crate) body: String,
}

/// Picks the effective template among the active overrides of the run's project and of the system.
pub(crate) fn resolve(
    role: Role,
    kind: Kind,
    locale: Locale,
    mut overrides: Vec<ActiveOverride>,
    seeds: &SeedTable,
) -> Result<Template> {
    for locale in locale.chain() {
        for project in [true, false] {
            let found = overrides
                .iter()
                .position(|o| o.project == project && o.locale == locale);
            if let Some(at) = found {
                let o = overrides.swap_remove(at);
                let source = if project {
                    Source::ProjectOverride { version: o.version }
                } else {
                    Source::SystemOverride { version: o.version }
                };
                return Ok(Template {
                    body: Cow::Owned(o.body),
                    source,
                    locale,
                });
            }
        }
        if let Some(body) = seeds.body(locale, role, kind) {
            return Ok(Template {
                body: Cow::Borrowed(body),
                source: Source::RepoSeed,
                locale,
            });
        }
    }
    Err(Error::TemplateMissing {
        role: role_str(role).to_owned(),
        kind: kind.as_str().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Locale::{En, Ru};

    /// Only English seeds of `dev-work`, to see the fallback.
    const EN_ONLY: SeedTable = SeedTable::new(&[("en/dev-work.md", "en seed")]);

    fn o(project: bool, locale: Locale, version: i32) -> ActiveOverride {
        let scope = if project { "project" } else { "system" };
        ActiveOverride {
            project,
            locale,
            version,
            body: format!("{scope} {locale} v{version}"),
        }
    }

    /// Resolves `dev-work` and renders the choice as `body | source | locale`.
    fn check(table: &SeedTable, locale: Locale, overrides: Vec<ActiveOverride>, expected: &str) {
        let t = resolve(Role::Dev, Kind::Work, locale, overrides, table).expect("found");
        let got = format!("{} | {} | {}", t.body, t.source, t.locale);
        assert_eq!(got, expected);
    }

    #[test]
    fn project_override_beats_system_override_beats_seed() {
        let all = || vec![o(false, Ru, 4), o(true, Ru, 2)];
        check(
            &EN_ONLY,
            Ru,
            all(),
            "project ru v2 | project_override@v2 | ru",
        );
        check(
            &EN_ONLY,
            Ru,
            vec![o(false, Ru, 4)],
            "system ru v4 | system_override@v4 | ru",
        );
        check(&EN_ONLY, En, vec![], "en seed | repo_seed | en");
    }

    #[test]
    fn a_missing_locale_falls_back_to_english() {
        // No ru seed and no ru override: the en chain, with its own precedence.
        check(&EN_ONLY, Ru, vec![], "en seed | repo_seed | en");
        check(
            &EN_ONLY,
            Ru,
            vec![o(false, En, 1)],
            "system en v1 | system_override@v1 | en",
        );
        // A ru seed wins over an en override: the locale is chosen before the source.
        let ru = SeedTable::new(&[("ru/dev-work.md", "ru seed"), ("en/dev-work.md", "en seed")]);
        check(&ru, Ru, vec![o(true, En, 3)], "ru seed | repo_seed | ru");
    }

    #[test]
    fn the_embedded_seeds_follow_the_effective_locale() {
        let t = |project, system| {
            let locale = Locale::effective(project, system);
            resolve(Role::Qa, Kind::Work, locale, vec![], &SeedTable::EMBEDDED)
                .expect("seed")
                .locale
        };
        assert_eq!(t(Some("ru"), None), Ru);
        assert_eq!(t(None, Some("ru")), Ru);
        assert_eq!(t(Some("de"), None), En);
        assert_eq!(t(None, None), En);
    }

    #[test]
    fn nothing_anywhere_is_a_typed_error() {
        let empty = SeedTable::new(&[]);
        let err = resolve(Role::Km, Kind::Review, Ru, vec![], &empty).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no prompt template for role km and kind review"
        );
    }
}
