//! `labelSelector` and `fieldSelector`, parsed once per request and matched against objects.

use serde_json::Value;

/// One label requirement.
#[derive(Debug, Clone, PartialEq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
    GreaterThan(String, i64),
    LessThan(String, i64),
}

/// A parsed `labelSelector` plus `fieldSelector`; empty matches everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Selector {
    labels: Vec<Requirement>,
    /// `(dotted path, wanted value, equal)`.
    fields: Vec<(String, String, bool)>,
}

impl Selector {
    /// Parses both selectors; the error is the message of a 400.
    pub(super) fn parse(labels: Option<&str>, fields: Option<&str>) -> Result<Self, String> {
        let labels = match labels {
            Some(text) => split_top_level(text)
                .iter()
                .map(|part| parse_requirement(part))
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        let fields = match fields {
            Some(text) => split_top_level(text)
                .iter()
                .map(|part| parse_field(part))
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        Ok(Self { labels, fields })
    }

    /// Whether `object` satisfies every requirement.
    pub(super) fn matches(&self, object: &Value) -> bool {
        let labels = object.pointer("/metadata/labels");
        let label = |key: &str| labels.and_then(|l| l.get(key)).and_then(Value::as_str);
        let labels_match = self.labels.iter().all(|requirement| match requirement {
            Requirement::Equals(key, value) => label(key) == Some(value.as_str()),
            Requirement::NotEquals(key, value) => label(key) != Some(value.as_str()),
            Requirement::In(key, values) => {
                label(key).is_some_and(|v| values.iter().any(|w| w == v))
            }
            Requirement::NotIn(key, values) => {
                !label(key).is_some_and(|v| values.iter().any(|w| w == v))
            }
            Requirement::Exists(key) => label(key).is_some(),
            Requirement::DoesNotExist(key) => label(key).is_none(),
            Requirement::GreaterThan(key, n) => label(key)
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v > *n),
            Requirement::LessThan(key, n) => label(key)
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v < *n),
        });
        labels_match
            && self
                .fields
                .iter()
                .all(|(path, wanted, equal)| (field_value(object, path) == *wanted) == *equal)
    }
}

/// The field at a dotted path as text; an absent field reads as empty, as on the API server.
fn field_value(object: &Value, path: &str) -> String {
    let pointer: String = path.split('.').map(|part| format!("/{part}")).collect();
    match object.pointer(&pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// Splits on commas outside parentheses, dropping empty parts.
fn split_top_level(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current);
    parts
        .into_iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

fn parse_requirement(part: &str) -> Result<Requirement, String> {
    let invalid = || format!("unable to parse requirement: invalid label selector {part:?}");
    if let Some(key) = part.strip_prefix('!') {
        return Ok(Requirement::DoesNotExist(checked_key(key.trim(), part)?));
    }
    for (operator, make) in [
        (
            "!=",
            Requirement::NotEquals as fn(String, String) -> Requirement,
        ),
        ("==", Requirement::Equals),
        ("=", Requirement::Equals),
    ] {
        if let Some((key, value)) = part.split_once(operator) {
            return Ok(make(
                checked_key(key.trim(), part)?,
                value.trim().to_owned(),
            ));
        }
    }
    for (operator, greater) in [(">", true), ("<", false)] {
        if let Some((key, value)) = part.split_once(operator) {
            let n = value.trim().parse::<i64>().map_err(|_| invalid())?;
            let key = checked_key(key.trim(), part)?;
            return Ok(if greater {
                Requirement::GreaterThan(key, n)
            } else {
                Requirement::LessThan(key, n)
            });
        }
    }
    if let Some(open) = part.find('(') {
        let head: Vec<&str> = part[..open].split_whitespace().collect();
        let inner = part[open + 1..].strip_suffix(')').ok_or_else(invalid)?;
        let values: Vec<String> = inner.split(',').map(|v| v.trim().to_owned()).collect();
        return match head.as_slice() {
            [key, "in"] => Ok(Requirement::In(checked_key(key, part)?, values)),
            [key, "notin"] => Ok(Requirement::NotIn(checked_key(key, part)?, values)),
            _ => Err(invalid()),
        };
    }
    Ok(Requirement::Exists(checked_key(part, part)?))
}

fn checked_key(key: &str, part: &str) -> Result<String, String> {
    let valid = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if valid {
        Ok(key.to_owned())
    } else {
        Err(format!(
            "unable to parse requirement: invalid label key in {part:?}"
        ))
    }
}

fn parse_field(part: &str) -> Result<(String, String, bool), String> {
    for (operator, equal) in [("!=", false), ("==", true), ("=", true)] {
        if let Some((path, value)) = part.split_once(operator) {
            return Ok((path.trim().to_owned(), value.trim().to_owned(), equal));
        }
    }
    Err(format!("invalid field selector: {part:?}"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pod() -> Value {
        json!({ "metadata": { "name": "p", "namespace": "ns", "labels": { "app": "web", "tier": "2" } },
                "status": { "phase": "Running" } })
    }

    #[test]
    fn label_selectors_follow_the_api_server_grammar() {
        let cases = [
            ("app=web", true),
            ("app==web", true),
            ("app!=web", false),
            ("app in (api, web)", true),
            ("app notin (api,web)", false),
            ("app", true),
            ("!app", false),
            ("!missing", true),
            ("missing!=x", true),
            ("tier>1,app=web", true),
            ("tier<2", false),
            ("app=web,missing", false),
        ];
        for (selector, expected) in cases {
            let parsed = Selector::parse(Some(selector), None).unwrap();
            assert_eq!(parsed.matches(&pod()), expected, "{selector}");
        }
    }

    #[test]
    fn field_selectors_read_dotted_paths() {
        let parsed = Selector::parse(None, Some("metadata.name=p,status.phase!=Pending")).unwrap();
        assert!(parsed.matches(&pod()));
        let parsed = Selector::parse(None, Some("metadata.namespace==other")).unwrap();
        assert!(!parsed.matches(&pod()));
        assert!(Selector::parse(Some("a in (b"), None).is_err());
    }
}
