//! Recognises text that looks like a credential, so that it never reaches a prompt.
//!
//! A heuristic tuned to known token shapes (GitHub, GitLab, OpenAI, AWS, Slack, JWTs, PEM keys,
//! credentials inside URLs) that leaves branch names, commit SHAs and prose alone.
//! It guards the boundary into prompts and seeds; the real protection is that no context field is
//! ever filled from a secret store.

/// A token shape: a literal prefix at a word start, then enough characters of the token alphabet.
struct Shape {
    /// What the match is reported as; never the matched text itself.
    name: &'static str,
    prefix: &'static str,
    /// Fewest alphabet characters after the prefix.
    min: usize,
    alphabet: fn(char) -> bool,
    /// Whether the body must mix digits, upper- and lowercase letters (random-looking).
    mixed: bool,
}

fn alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

fn word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn upper_digit(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit()
}

fn bearer(c: char) -> bool {
    word(c) || matches!(c, '.' | '~' | '+' | '/' | '=')
}

const fn shape(name: &'static str, prefix: &'static str, min: usize) -> Shape {
    Shape {
        name,
        prefix,
        min,
        alphabet: alnum,
        mixed: false,
    }
}

const SHAPES: &[Shape] = &[
    shape("github token", "ghp_", 20),
    shape("github token", "gho_", 20),
    shape("github token", "ghu_", 20),
    shape("github token", "ghs_", 20),
    shape("github token", "ghr_", 20),
    Shape {
        alphabet: word,
        ..shape("github token", "github_pat_", 20)
    },
    Shape {
        alphabet: word,
        ..shape("gitlab token", "glpat-", 20)
    },
    Shape {
        alphabet: word,
        mixed: true,
        ..shape("openai key", "sk-", 20)
    },
    Shape {
        alphabet: word,
        ..shape("slack token", "xoxb-", 10)
    },
    Shape {
        alphabet: word,
        ..shape("slack token", "xoxp-", 10)
    },
    Shape {
        alphabet: upper_digit,
        ..shape("aws access key", "AKIA", 16)
    },
    Shape {
        alphabet: upper_digit,
        ..shape("aws access key", "ASIA", 16)
    },
    Shape {
        alphabet: bearer,
        mixed: true,
        ..shape("bearer token", "Bearer ", 20)
    },
];

/// The kind of secret `text` seems to contain, or `None`.
pub(crate) fn find(text: &str) -> Option<&'static str> {
    for shape in SHAPES {
        for (at, _) in text.match_indices(shape.prefix) {
            let body = &text[at + shape.prefix.len()..];
            if starts_word(text, at) && body_fits(body, shape) {
                return Some(shape.name);
            }
        }
    }
    if text.contains("PRIVATE KEY-----") {
        return Some("private key");
    }
    if has_jwt(text) {
        return Some("jwt");
    }
    if has_url_credentials(text) {
        return Some("url credentials");
    }
    None
}

fn starts_word(text: &str, at: usize) -> bool {
    text[..at]
        .chars()
        .next_back()
        .is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_')
}

fn body_fits(body: &str, shape: &Shape) -> bool {
    let token: Vec<char> = body.chars().take_while(|c| (shape.alphabet)(*c)).collect();
    let random = || {
        token.iter().any(char::is_ascii_digit)
            && token.iter().any(char::is_ascii_uppercase)
            && token.iter().any(char::is_ascii_lowercase)
    };
    token.len() >= shape.min && (!shape.mixed || random())
}

/// Two base64url segments of a JSON web token: `eyJ…` (header), a dot, then the payload.
fn has_jwt(text: &str) -> bool {
    // The alphabet is ASCII, so character counts are byte offsets.
    text.match_indices("eyJ").any(|(at, _)| {
        let rest = &text[at..];
        let header = rest.chars().take_while(|c| word(*c)).count();
        let payload = rest[header..]
            .strip_prefix('.')
            .map_or(0, |p| p.chars().take_while(|c| word(*c)).count());
        starts_word(text, at) && header >= 10 && payload >= 10
    })
}

/// `scheme://user:password@host`: a password in the authority part of a URL.
fn has_url_credentials(text: &str) -> bool {
    text.match_indices("://").any(|(at, _)| {
        let authority: String = text[at + 3..]
            .chars()
            .take_while(|c| !c.is_whitespace() && !matches!(c, '/' | '?' | '#' | ')' | '"' | '>'))
            .collect();
        authority
            .rsplit_once('@')
            .and_then(|(userinfo, _)| userinfo.split_once(':'))
            .is_some_and(|(_, password)| !password.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::find;

    #[test]
    fn known_token_shapes_are_recognised() {
        let cases = [
            ("ghp_0123456789abcdefghijABCDEFGHIJ012345", "github token"),
            (
                "token=ghs_16C7e42F292c6912E7710c838347Ae178B4a",
                "github token",
            ),
            (
                "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
                "github token",
            ),
            ("glpat-abcdefghij0123456789", "gitlab token"),
            ("OPENAI_API_KEY=sk-proj-Ab3dEf6hIj9kLm2nOp5q", "openai key"),
            ("xoxb-1234567890-abcdefghij", "slack token"),
            ("AKIAIOSFODNN7EXAMPLE", "aws access key"),
            (
                "Authorization: Bearer a1B2c3D4e5F6g7H8i9J0k1L2",
                "bearer token",
            ),
            ("-----BEGIN RSA PRIVATE KEY-----", "private key"),
            (
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig",
                "jwt",
            ),
            (
                "https://x-access-token:abc123@github.com/acme/shop",
                "url credentials",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(find(text), Some(expected), "{text}");
        }
    }

    #[test]
    fn ordinary_prompt_text_is_not_a_secret() {
        let cases = [
            "codex/issue-42",
            "risk-assessment-and-mitigation-plan-for-the-release",
            "codex/sk-lowercase-branch-name-that-is-long",
            "commit 0123456789abcdef0123456789abcdef01234567",
            "https://github.com/acme/shop/pull/12",
            "ssh://git@github.com/acme/shop.git",
            "Bearer tokens are explained in the runbook",
            "ghp_ is the prefix of a GitHub personal access token",
            "MASKAKIA",
        ];
        for text in cases {
            assert_eq!(find(text), None, "{text}");
        }
    }
}
