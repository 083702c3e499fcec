//! The repo seeds: every file under `prompts/`, embedded in the binary.
//!
//! `prompts/<locale>/<role>-<kind>.md` are the role bodies, which DB overrides may replace.
//! `prompts/<locale>/_*.md` are the envelope and its partials, which nothing overrides, so no
//! override can drop the safety rules, the write scope or the completion contract.
//! The table is written by hand; a test fails when it and the folder disagree.

use super::kind::Kind;
use super::kind::role_str;
use super::locale::Locale;
use crate::policy::Role;

/// Embeds each listed path of `prompts/` as `(path, text)`.
macro_rules! seeds {
    ($($path:literal,)*) => {
        &[$(($path, include_str!(concat!("../../../prompts/", $path))),)*]
    };
}

/// Every seed file, by path relative to `prompts/`.
const FILES: &[(&str, &str)] = seeds![
    "en/_completion.md",
    "en/_envelope.md",
    "en/_learning.md",
    "en/pm-work.md",
    "en/pm-revise.md",
    "en/pm-review.md",
    "en/pm-discussion.md",
    "en/sa-work.md",
    "en/sa-revise.md",
    "en/sa-review.md",
    "en/sa-discussion.md",
    "en/em-work.md",
    "en/em-revise.md",
    "en/em-review.md",
    "en/em-discussion.md",
    "en/dev-work.md",
    "en/dev-revise.md",
    "en/dev-review.md",
    "en/dev-discussion.md",
    "en/reviewer-work.md",
    "en/reviewer-revise.md",
    "en/reviewer-review.md",
    "en/reviewer-discussion.md",
    "en/qa-work.md",
    "en/qa-revise.md",
    "en/qa-review.md",
    "en/qa-discussion.md",
    "en/sre-work.md",
    "en/sre-revise.md",
    "en/sre-review.md",
    "en/sre-discussion.md",
    "en/km-work.md",
    "en/km-revise.md",
    "en/km-review.md",
    "en/km-discussion.md",
    "ru/_completion.md",
    "ru/_envelope.md",
    "ru/_learning.md",
    "ru/pm-work.md",
    "ru/pm-revise.md",
    "ru/pm-review.md",
    "ru/pm-discussion.md",
    "ru/sa-work.md",
    "ru/sa-revise.md",
    "ru/sa-review.md",
    "ru/sa-discussion.md",
    "ru/em-work.md",
    "ru/em-revise.md",
    "ru/em-review.md",
    "ru/em-discussion.md",
    "ru/dev-work.md",
    "ru/dev-revise.md",
    "ru/dev-review.md",
    "ru/dev-discussion.md",
    "ru/reviewer-work.md",
    "ru/reviewer-revise.md",
    "ru/reviewer-review.md",
    "ru/reviewer-discussion.md",
    "ru/qa-work.md",
    "ru/qa-revise.md",
    "ru/qa-review.md",
    "ru/qa-discussion.md",
    "ru/sre-work.md",
    "ru/sre-revise.md",
    "ru/sre-review.md",
    "ru/sre-discussion.md",
    "ru/km-work.md",
    "ru/km-revise.md",
    "ru/km-review.md",
    "ru/km-discussion.md",
];

/// A set of seed files by path; the embedded one, or a smaller one in tests.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SeedTable {
    files: &'static [(&'static str, &'static str)],
}

impl SeedTable {
    /// The seeds embedded from `prompts/`.
    pub(crate) const EMBEDDED: Self = Self { files: FILES };

    /// A table of the given files (tests leave some out).
    #[cfg(test)]
    pub(crate) const fn new(files: &'static [(&'static str, &'static str)]) -> Self {
        Self { files }
    }

    /// The file at `path` (relative to `prompts/`).
    pub(crate) fn get(&self, path: &str) -> Option<&'static str> {
        self.files
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, text)| *text)
    }

    /// The role body for `role` and `kind` in exactly `locale` (no fallback).
    pub(crate) fn body(&self, locale: Locale, role: Role, kind: Kind) -> Option<&'static str> {
        self.get(&body_path(locale, role, kind))
    }

    /// Every path in the table.
    #[cfg(test)]
    pub(crate) fn paths(&self) -> impl Iterator<Item = &'static str> {
        self.files.iter().map(|(p, _)| *p)
    }
}

/// Where the role body for `role` and `kind` in `locale` lives, relative to `prompts/`.
pub(crate) fn body_path(locale: Locale, role: Role, kind: Kind) -> String {
    format!("{locale}/{}-{kind}.md", role_str(role))
}

/// Where the envelope of `locale` lives, relative to `prompts/`.
pub(crate) fn envelope_path(locale: Locale) -> String {
    format!("{locale}/_envelope.md")
}

/// The repo seed body for `role` and `kind` in exactly `locale`, e.g. to show next to an override.
pub fn seed(locale: Locale, role: Role, kind: Kind) -> Option<&'static str> {
    SeedTable::EMBEDDED.body(locale, role, kind)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;
    use crate::prompt::kind::ROLES;
    use crate::prompt::secret;

    /// Files under `prompts/` that are documentation, not seeds.
    const NOT_SEEDS: [&str; 1] = ["README.md"];

    fn files_on_disk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).expect("read prompts dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                files_on_disk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).expect("under root");
                out.insert(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }

    #[test]
    fn the_seed_table_matches_the_files_on_disk() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../prompts");
        let mut disk = BTreeSet::new();
        files_on_disk(&root, &root, &mut disk);
        for doc in NOT_SEEDS {
            disk.remove(doc);
        }
        let table: BTreeSet<String> = SeedTable::EMBEDDED.paths().map(str::to_owned).collect();
        assert_eq!(table.len(), FILES.len(), "a path is listed twice");
        let missing: Vec<_> = disk.difference(&table).collect();
        let stale: Vec<_> = table.difference(&disk).collect();
        assert!(
            missing.is_empty(),
            "on disk but not in the table: {missing:?}"
        );
        assert!(stale.is_empty(), "in the table but not on disk: {stale:?}");
    }

    #[test]
    fn every_role_kind_and_locale_has_a_seed_and_an_envelope() {
        for locale in Locale::ALL {
            assert!(SeedTable::EMBEDDED.get(&envelope_path(locale)).is_some());
            for role in ROLES {
                for kind in Kind::ALL {
                    assert!(
                        seed(locale, role, kind).is_some(),
                        "{locale} {role:?} {kind}"
                    );
                }
            }
        }
        assert_eq!(FILES.len(), 2 * (3 + 8 * 4));
    }

    #[test]
    fn every_role_body_reports_status_asks_the_owner_and_ends_with_the_final_message() {
        for locale in Locale::ALL {
            let final_message = match locale {
                Locale::En => "final message",
                Locale::Ru => "финальным сообщением",
            };
            for role in ROLES {
                for kind in Kind::ALL {
                    let body = seed(locale, role, kind).unwrap_or_default();
                    let at = body_path(locale, role, kind);
                    for needle in ["run_status_report", "owner_feedback_request", final_message] {
                        assert!(body.contains(needle), "{at} lacks {needle}");
                    }
                    let lines = body.lines().count();
                    assert!((20..=80).contains(&lines), "{at} has {lines} lines");
                }
            }
        }
    }

    #[test]
    fn no_seed_contains_a_secret_or_reads_the_environment() {
        for (path, text) in FILES {
            assert_eq!(secret::find(text), None, "{path}");
            for banned in ["getenv", "environ[", "${", "{{ env", "{{env"] {
                assert!(!text.contains(banned), "{path} contains {banned}");
            }
        }
    }
}
