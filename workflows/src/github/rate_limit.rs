//! What a failed GitHub call means for the caller: wait, fix credentials, give up or retry.
//!
//! The rules follow GitHub's documented rate-limit signals
//! (<https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api>).

use chrono::{DateTime, TimeDelta, Utc};
use http::{HeaderMap, StatusCode};

/// Extra wait after a primary limit's reset time, so the first call after it lands in the new window.
const PRIMARY_RESET_MARGIN: TimeDelta = TimeDelta::seconds(5);

/// Wait for a secondary limit that came without a `Retry-After` hint.
const SECONDARY_DEFAULT_WAIT: TimeDelta = TimeDelta::seconds(60);

/// Which of GitHub's rate limits was hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RateLimitKind {
    /// The hourly request budget of the token is used up (`x-ratelimit-remaining: 0`).
    Primary,
    /// A secondary limit (too many requests at once, too much content created quickly).
    Secondary,
}

/// The classification of a failed call; durable retries above the client branch on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Failure {
    /// Rate limited: do not call GitHub with this token again before `retry_at`.
    RateLimited {
        /// The earliest time a retry may succeed.
        retry_at: DateTime<Utc>,
        /// Which limit was hit.
        kind: RateLimitKind,
    },
    /// The token is invalid, expired or revoked (401); retrying cannot help.
    BadCredentials,
    /// The resource does not exist or the token may not see it (404).
    NotFound,
    /// A server error, timeout or connection failure; a later retry may succeed.
    Transient,
    /// Any other refusal (422, 403 without a rate-limit signal, a malformed answer); do not retry.
    Permanent,
}

impl Failure {
    /// Whether a retry of the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::RateLimited { .. } | Self::Transient)
    }

    /// A short snake_case name for logs and metric labels.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::RateLimited {
                kind: RateLimitKind::Primary,
                ..
            } => "rate_limited_primary",
            Self::RateLimited {
                kind: RateLimitKind::Secondary,
                ..
            } => "rate_limited_secondary",
            Self::BadCredentials => "bad_credentials",
            Self::NotFound => "not_found",
            Self::Transient => "transient",
            Self::Permanent => "permanent",
        }
    }
}

/// Classifies an HTTP error answer from GitHub, as seen at `now`.
pub(crate) fn classify_response(
    status: StatusCode,
    headers: &HeaderMap,
    message: &str,
    now: DateTime<Utc>,
) -> Failure {
    match status.as_u16() {
        401 => Failure::BadCredentials,
        403 | 429 => rate_limit(status, headers, message, now).unwrap_or(Failure::Permanent),
        404 => Failure::NotFound,
        408 => Failure::Transient,
        code if code >= 500 => Failure::Transient,
        _ => Failure::Permanent,
    }
}

fn rate_limit(
    status: StatusCode,
    headers: &HeaderMap,
    message: &str,
    now: DateTime<Utc>,
) -> Option<Failure> {
    let secondary = |retry_at| Failure::RateLimited {
        retry_at,
        kind: RateLimitKind::Secondary,
    };
    if let Some(retry_at) = retry_after(headers, now) {
        return Some(secondary(retry_at));
    }
    if header(headers, "x-ratelimit-remaining") == Some("0") {
        let reset = header(headers, "x-ratelimit-reset")
            .and_then(|value| value.parse::<i64>().ok())
            .and_then(|epoch| DateTime::from_timestamp(epoch, 0));
        let retry_at = reset.map_or(now + SECONDARY_DEFAULT_WAIT, |reset| {
            (reset + PRIMARY_RESET_MARGIN).max(now)
        });
        return Some(Failure::RateLimited {
            retry_at,
            kind: RateLimitKind::Primary,
        });
    }
    let message = message.to_lowercase();
    let says_secondary =
        message.contains("secondary rate limit") || message.contains("abuse detection");
    (says_secondary || status == StatusCode::TOO_MANY_REQUESTS)
        .then(|| secondary(now + SECONDARY_DEFAULT_WAIT))
}

/// `Retry-After` as delay seconds (what GitHub sends) or as an HTTP date.
fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let value = header(headers, "retry-after")?.trim();
    if let Ok(seconds) = value.parse::<i64>() {
        return Some(now + TimeDelta::seconds(seconds.max(0)));
    }
    DateTime::parse_from_rfc2822(value)
        .ok()
        .map(|date| date.with_timezone(&Utc).max(now))
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeDelta, Utc};
    use http::{HeaderMap, HeaderValue, StatusCode};

    use super::{Failure, RateLimitKind, classify_response};

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).expect("valid timestamp")
    }

    fn check(status: u16, headers: &[(&'static str, &str)], message: &str, expected: Failure) {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_str(value).expect("header value"));
        }
        let status = StatusCode::from_u16(status).expect("status");
        assert_eq!(
            classify_response(status, &map, message, now()),
            expected,
            "{status} {headers:?} {message:?}"
        );
    }

    fn limited(kind: RateLimitKind, after_secs: i64) -> Failure {
        Failure::RateLimited {
            retry_at: now() + TimeDelta::seconds(after_secs),
            kind,
        }
    }

    #[test]
    fn status_and_headers_map_to_the_documented_failure() {
        use RateLimitKind::{Primary, Secondary};
        let reset = (now().timestamp() + 120).to_string();
        let spent = [
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &reset),
        ];
        check(403, &[("retry-after", "30")], "", limited(Secondary, 30));
        check(429, &[("retry-after", "7")], "", limited(Secondary, 7));
        check(
            403,
            &spent,
            "API rate limit exceeded",
            limited(Primary, 125),
        );
        check(429, &spent, "", limited(Primary, 125));
        check(
            403,
            &[("retry-after", "Fri, 15 Jan 2027 09:00:00 GMT")],
            "",
            Failure::RateLimited {
                retry_at: DateTime::parse_from_rfc2822("Fri, 15 Jan 2027 09:00:00 GMT")
                    .expect("date")
                    .with_timezone(&Utc),
                kind: Secondary,
            },
        );
        let secondary = "You have exceeded a secondary rate limit. Please wait.";
        check(403, &[], secondary, limited(Secondary, 60));
        check(429, &[], "", limited(Secondary, 60));
        check(
            403,
            &[("x-ratelimit-remaining", "0")],
            "",
            limited(Primary, 60),
        );
        check(
            403,
            &[("x-ratelimit-remaining", "12")],
            "Resource not accessible",
            Failure::Permanent,
        );
        check(
            401,
            &[("retry-after", "5")],
            "Bad credentials",
            Failure::BadCredentials,
        );
        check(404, &[], "Not Found", Failure::NotFound);
        check(500, &[], "", Failure::Transient);
        check(502, &[], "", Failure::Transient);
        check(408, &[], "", Failure::Transient);
        check(422, &[], "Validation Failed", Failure::Permanent);
    }

    #[test]
    fn a_reset_time_in_the_past_never_yields_a_retry_time_before_now() {
        let past = (now().timestamp() - 600).to_string();
        let spent = [
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", past.as_str()),
        ];
        check(403, &spent, "", limited(RateLimitKind::Primary, 0));
    }
}
