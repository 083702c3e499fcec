//! An API token that never shows up in logs or error messages.

use std::fmt;

/// A GitHub personal access token.
///
/// `Debug` and `Display` print a placeholder; only [`Token::expose`] gives the value,
/// so a token cannot leak through `{:?}` in a log line or an error chain.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a raw token value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The raw value, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the token is empty or only whitespace (a missing setting).
    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Which of the two configured tokens a call uses; each has its own rate-limit budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Identity {
    /// The platform token: repository management and pull request lookup.
    Platform,
    /// The bot token: everything the bot says (comments, labels, reactions).
    Bot,
}

impl Identity {
    /// The snake_case name, for logs and metric labels.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Platform => "platform",
            Self::Bot => "bot",
        }
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<String> for Token {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl std::str::FromStr for Token {
    type Err = std::convert::Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(value))
    }
}

#[cfg(test)]
mod tests {
    use super::Token;

    #[test]
    fn debug_and_display_never_print_the_value() {
        let token = Token::new("ghp_supersecret");
        assert_eq!(format!("{token:?}"), "Token(<redacted>)");
        assert_eq!(format!("{token}"), "<redacted>");
        assert_eq!(token.expose(), "ghp_supersecret");
    }

    #[test]
    fn whitespace_token_is_blank() {
        assert!(Token::new("  ").is_blank());
        assert!(!Token::new("x").is_blank());
    }
}
