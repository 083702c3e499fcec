//! Label names and sets of them, compared the way the policy matches labels.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};

use super::error::{Error, Result};

/// Longest label name GitHub accepts.
const MAX_LEN: usize = 50;

/// A label name, parsed once at the boundary.
///
/// Two names are equal when their keys are equal. The key ignores surrounding whitespace,
/// letter case and one enclosing pair of square brackets, so ` [AI-Model-X] ` equals `ai-model-x`.
/// The trimmed original spelling is kept for display and for calls back to GitHub.
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LabelName {
    name: String,
    key: String,
}

impl LabelName {
    /// Parses a raw label name as it comes from GitHub or from configuration.
    pub fn parse(raw: &str) -> Result<Self> {
        let name = raw.trim();
        if name.chars().count() > MAX_LEN {
            return Err(Error::LabelTooLong {
                label: name.to_owned(),
                max: MAX_LEN,
            });
        }
        let lower = name.to_lowercase();
        let key = lower
            .strip_prefix('[')
            .and_then(|inner| inner.strip_suffix(']'))
            .map_or(lower.as_str(), str::trim);
        if key.is_empty() {
            return Err(Error::EmptyLabel);
        }
        Ok(Self {
            key: key.to_owned(),
            name: name.to_owned(),
        })
    }

    /// The trimmed name as written, for display and for GitHub calls.
    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The normalised key two names are compared by.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl TryFrom<String> for LabelName {
    type Error = Error;

    fn try_from(raw: String) -> Result<Self> {
        Self::parse(&raw)
    }
}

impl From<LabelName> for String {
    fn from(label: LabelName) -> Self {
        label.name
    }
}

impl PartialEq for LabelName {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for LabelName {}

impl Hash for LabelName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl PartialOrd for LabelName {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for LabelName {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

impl fmt::Display for LabelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl fmt::Debug for LabelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.name, f)
    }
}

/// The labels on one Issue or pull request: no two equal names, in the order first seen.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Vec<LabelName>", into = "Vec<LabelName>")]
pub struct LabelSet(Vec<LabelName>);

impl LabelSet {
    /// Parses raw names, failing on the first invalid one.
    pub fn parse<'a>(raw: impl IntoIterator<Item = &'a str>) -> Result<Self> {
        raw.into_iter()
            .map(LabelName::parse)
            .collect::<Result<Vec<_>>>()
            .map(Self::from)
    }

    /// Whether a label equal to `label` is in the set.
    pub fn contains(&self, label: &LabelName) -> bool {
        self.0.contains(label)
    }

    /// The labels in order.
    pub fn iter(&self) -> impl Iterator<Item = &LabelName> {
        self.0.iter()
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no labels.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A copy with `label` added at the end unless an equal one is present.
    pub fn with(&self, label: &LabelName) -> Self {
        let mut labels = self.clone();
        if !labels.contains(label) {
            labels.0.push(label.clone());
        }
        labels
    }

    /// Labels in `self` that `other` lacks, in `self`'s order.
    pub fn missing_from(&self, other: &Self) -> Vec<LabelName> {
        self.iter()
            .filter(|l| !other.contains(l))
            .cloned()
            .collect()
    }

    /// Whether both sets hold the same labels, ignoring order.
    pub fn same_labels(&self, other: &Self) -> bool {
        self.len() == other.len() && self.missing_from(other).is_empty()
    }
}

impl From<Vec<LabelName>> for LabelSet {
    fn from(labels: Vec<LabelName>) -> Self {
        let mut set = Self(Vec::with_capacity(labels.len()));
        for label in labels {
            if !set.contains(&label) {
                set.0.push(label);
            }
        }
        set
    }
}

impl From<LabelSet> for Vec<LabelName> {
    fn from(set: LabelSet) -> Self {
        set.0
    }
}

impl FromIterator<LabelName> for LabelSet {
    fn from_iter<I: IntoIterator<Item = LabelName>>(iter: I) -> Self {
        Self::from(iter.into_iter().collect::<Vec<_>>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str, expected: &str) {
        let actual = match LabelName::parse(raw) {
            Ok(label) => format!("{} key={}", label.as_str(), label.key()),
            Err(error) => format!("error: {error}"),
        };
        assert_eq!(actual, expected, "input {raw:?}");
    }

    #[test]
    fn names_are_trimmed_and_keyed_case_insensitively() {
        check("run:dev", "run:dev key=run:dev");
        check("  Run:DEV \t", "Run:DEV key=run:dev");
        check(
            "[ai-model-gpt-5.4]",
            "[ai-model-gpt-5.4] key=ai-model-gpt-5.4",
        );
        check(
            " [AI-Reasoning-High ] ",
            "[AI-Reasoning-High ] key=ai-reasoning-high",
        );
        check("[half", "[half key=[half");
        check("   ", "error: label name is empty");
        check("[ ]", "error: label name is empty");
        check(
            &"x".repeat(51),
            &format!(
                "error: label name {:?} is longer than 50 characters",
                "x".repeat(51)
            ),
        );
    }

    #[test]
    fn equal_keys_make_equal_labels() {
        let a = LabelName::parse("State:In-Review").expect("valid");
        let b = LabelName::parse("state:in-review ").expect("valid");
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "State:In-Review");
    }

    #[test]
    fn sets_drop_duplicates_and_compare_without_order() {
        let a = LabelSet::parse(["run:dev", "RUN:DEV", "state:blocked"]).expect("valid");
        let b = LabelSet::parse(["state:blocked", "run:dev"]).expect("valid");
        assert_eq!(a.len(), 2);
        assert!(a.same_labels(&b));
        let c = b.with(&LabelName::parse("need:input").expect("valid"));
        assert!(!a.same_labels(&c));
        assert_eq!(format!("{:?}", c.missing_from(&a)), r#"["need:input"]"#);
    }

    #[test]
    fn labels_round_trip_through_json_and_parse_on_the_way_in() {
        let set: LabelSet = serde_json::from_str(r#"[" run:dev ","Run:Dev"]"#).expect("valid");
        assert_eq!(
            serde_json::to_string(&set).expect("serialise"),
            r#"["run:dev"]"#
        );
        assert!(serde_json::from_str::<LabelSet>(r#"["  "]"#).is_err());
    }
}
