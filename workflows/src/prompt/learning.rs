//! Learning mode: whether the agent explains its choices, and how the effective value is found.

/// The `bootstrap/host/config.env` key that holds the platform default.
pub const LEARNING_MODE_DEFAULT_KEY: &str = "CK8S_LEARNING_MODE_DEFAULT";

/// Reads the platform default from the raw value of [`LEARNING_MODE_DEFAULT_KEY`].
///
/// Empty (or only whitespace) means off, as the constraints require; `true`/`1`/`yes`/`on` mean on,
/// `false`/`0`/`no`/`off` mean off, in any letter case. Anything else is a configuration error
/// rather than a silent off, so a typo is noticed at start-up.
pub fn parse_learning_default(raw: &str) -> super::Result<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "" | "false" | "0" | "no" | "off" => Ok(false),
        "true" | "1" | "yes" | "on" => Ok(true),
        _ => Err(super::Error::ParseLearningDefault(raw.trim().to_owned())),
    }
}

/// The effective learning mode of a run: the override of the member who started it, else the
/// project's default, else the platform default.
pub fn learning_mode(
    member_override: Option<bool>,
    project_default: Option<bool>,
    platform_default: bool,
) -> bool {
    member_override
        .or(project_default)
        .unwrap_or(platform_default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_platform_default_means_off() {
        assert!(!parse_learning_default("").expect("valid"));
        assert!(!parse_learning_default("  ").expect("valid"));
        assert!(parse_learning_default("TRUE").expect("valid"));
        assert!(!parse_learning_default("off").expect("valid"));
        let err = parse_learning_default("ture").unwrap_err();
        assert_eq!(err.code(), "invalid_learning_default");
    }

    #[test]
    fn member_override_beats_project_default_beats_platform_default() {
        assert!(learning_mode(Some(true), Some(false), false));
        assert!(!learning_mode(Some(false), Some(true), true));
        assert!(learning_mode(None, Some(true), false));
        assert!(!learning_mode(None, Some(false), true));
        assert!(learning_mode(None, None, true));
        assert!(!learning_mode(None, None, false));
    }
}
