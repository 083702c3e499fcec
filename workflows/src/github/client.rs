//! The GitHub REST client: two tokens, a deadline on every call and a small bounded retry.
//!
//! The operations live beside their types (`issue.rs`, `pull.rs`, `comment.rs`); this file
//! builds the two octocrab instances and runs every call through [`GitHubClient::call`].

use std::fmt;
use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use octocrab::Octocrab;

use super::error::{ApiError, Error, Result};
use super::metrics;
use super::rate_limit::Failure;
use super::token::{Identity, Token};

/// GitHub's public API.
pub const DEFAULT_BASE_URL: &str = "https://api.github.com";

/// Transient failures (5xx, timeouts, connection errors) are retried at most this often
/// inside one call; durable retries happen above the client.
const MAX_TRANSIENT_RETRIES: u32 = 2;

/// Upper bound of [`ClientConfig::retry_backoff`], so in-client retries stay short.
const MAX_RETRY_BACKOFF: Duration = Duration::from_secs(10);

/// Settings of [`GitHubClient`]; [`ClientConfig::new`] fills in the defaults.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// API root, `https://api.github.com` or a GitHub Enterprise `https://host/api/v3`, or a fake.
    pub base_url: String,
    /// Token for repository management and pull request lookup.
    pub platform_token: Token,
    /// Token for everything the bot says: comments, labels, reactions.
    pub bot_token: Token,
    /// The bot's login; when set, the status-comment upsert only adopts comments it wrote.
    pub bot_login: Option<String>,
    /// Limit for establishing a connection.
    pub connect_timeout: Duration,
    /// Limit for each read from (and write to) the connection.
    pub read_timeout: Duration,
    /// Limit for one whole request, answer body included.
    pub request_timeout: Duration,
    /// Pause before the first in-client retry of a transient failure; doubled for the second.
    pub retry_backoff: Duration,
}

impl ClientConfig {
    /// Settings for github.com with 10 s connect/read limits and a 30 s request limit.
    pub fn new(platform_token: Token, bot_token: Token) -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            platform_token,
            bot_token,
            bot_login: None,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            retry_backoff: Duration::from_millis(500),
        }
    }

    fn validate(&self) -> Result<()> {
        let invalid = |field, reason: &str| Error::InvalidConfig {
            field,
            reason: reason.to_owned(),
        };
        if self.platform_token.is_blank() {
            return Err(invalid("platform_token", "is empty"));
        }
        if self.bot_token.is_blank() {
            return Err(invalid("bot_token", "is empty"));
        }
        let uri = self
            .base_url
            .parse::<http::Uri>()
            .map_err(|_| invalid("base_url", "is not a url"))?;
        if uri.authority().is_none() || !matches!(uri.scheme_str(), Some("http" | "https")) {
            return Err(invalid("base_url", "is not an absolute http(s) url"));
        }
        for (field, limit) in [
            ("connect_timeout", self.connect_timeout),
            ("read_timeout", self.read_timeout),
            ("request_timeout", self.request_timeout),
        ] {
            if limit.is_zero() {
                return Err(invalid(field, "is zero"));
            }
        }
        if self.retry_backoff > MAX_RETRY_BACKOFF {
            return Err(invalid("retry_backoff", "is longer than 10 s"));
        }
        Ok(())
    }
}

/// Whether a failed call may be sent again inside the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Retry {
    /// The call is idempotent: retry transient failures a bounded number of times.
    Transient,
    /// The call creates something (a comment): a retry after a lost answer could create it twice.
    Never,
}

/// The GitHub REST client of the platform, holding one octocrab instance per token.
///
/// Cheap to clone. Every call has a deadline; transient failures of idempotent calls are
/// retried at most twice with a short backoff, and nothing else is retried here. One call
/// therefore takes at most `3 × request_timeout + 3 × retry_backoff`.
#[derive(Clone)]
pub struct GitHubClient {
    platform: Octocrab,
    bot: Octocrab,
    platform_token: Token,
    bot_login: Option<String>,
    request_timeout: Duration,
    retry_backoff: Duration,
}

impl fmt::Debug for GitHubClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitHubClient")
            .field("bot_login", &self.bot_login)
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

impl GitHubClient {
    /// Validates the settings and builds the client; the error names the bad setting.
    pub fn new(config: ClientConfig) -> Result<Self> {
        config.validate()?;
        Ok(Self {
            platform: build(&config, &config.platform_token, Identity::Platform)?,
            bot: build(&config, &config.bot_token, Identity::Bot)?,
            platform_token: config.platform_token.clone(),
            bot_login: config.bot_login.clone(),
            request_timeout: config.request_timeout,
            retry_backoff: config.retry_backoff,
        })
    }

    /// The octocrab instance that authenticates as `identity`.
    pub(crate) fn octocrab(&self, identity: Identity) -> &Octocrab {
        match identity {
            Identity::Platform => &self.platform,
            Identity::Bot => &self.bot,
        }
    }

    /// The platform-wide token: the fallback push credential of a repository bound without a
    /// token of its own (ADR 0018). Never log it or put it in a step output.
    pub fn platform_token(&self) -> &Token {
        &self.platform_token
    }

    /// The configured bot login, if any.
    pub(crate) fn bot_login(&self) -> Option<&str> {
        self.bot_login.as_deref()
    }

    /// Runs one API call under the request deadline, retrying transient failures when allowed;
    /// every HTTP attempt is counted under `operation` (a fixed name, never a URL), and the
    /// outcome is recorded on the caller's `github_call` span (see [`record_outcome`]).
    ///
    /// `op` must build a fresh request each time it is called.
    pub(crate) async fn call<T, F, Fut>(
        &self,
        operation: &'static str,
        identity: Identity,
        retry: Retry,
        mut op: F,
    ) -> Result<T, ApiError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = octocrab::Result<T>>,
    {
        let mut retries = 0;
        loop {
            let (error, timed_out) = match tokio::time::timeout(self.request_timeout, op()).await {
                Ok(Ok(value)) => {
                    metrics::call_succeeded(operation);
                    record_outcome(None);
                    return Ok(value);
                }
                Ok(Err(error)) => (ApiError::from_octocrab(identity, error, Utc::now()), false),
                Err(_elapsed) => (ApiError::timed_out(identity, self.request_timeout), true),
            };
            let failure = error.failure();
            metrics::call_failed(operation, error.status(), failure, timed_out);
            if retry == Retry::Never
                || failure != Failure::Transient
                || retries >= MAX_TRANSIENT_RETRIES
            {
                record_outcome(Some(&error));
                return Err(error);
            }
            let pause = self.retry_backoff * 2u32.pow(retries);
            retries += 1;
            tracing::debug!(%identity, retries, ?pause, error.message = %error, "retrying github call");
            tokio::time::sleep(pause).await;
        }
    }
}

/// Records a call's outcome on the current span (the `github_call` span of the calling method):
/// `outcome` (`ok` or the failure's name), `http.status_code` when GitHub answered, and the
/// OpenTelemetry span status.
fn record_outcome(error: Option<&ApiError>) {
    let span = tracing::Span::current();
    match error {
        None => {
            span.record("outcome", "ok");
            span.record("otel.status_code", "OK");
        }
        Some(error) => {
            span.record("outcome", error.failure().as_str());
            span.record("otel.status_code", "ERROR");
            if let Some(status) = error.status() {
                span.record("http.status_code", status.as_u16());
            }
        }
    }
}

fn build(config: &ClientConfig, token: &Token, identity: Identity) -> Result<Octocrab> {
    let built = Octocrab::builder()
        .base_uri(config.base_url.as_str())
        .and_then(|builder| {
            builder
                .personal_token(token.expose().to_owned())
                .set_connect_timeout(Some(config.connect_timeout))
                .set_read_timeout(Some(config.read_timeout))
                .set_write_timeout(Some(config.read_timeout))
                .build()
        });
    built.map_err(|source| Error::BuildClient {
        identity,
        source: Box::new(source),
    })
}

/// Splits `owner/name`, accepting only the characters GitHub allows, so both parts are URL-safe.
pub(crate) fn split_repo(repo: &str) -> Result<(&str, &str)> {
    let valid_part = |part: &str| {
        !part.is_empty()
            && part != "."
            && part != ".."
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    match repo.split_once('/') {
        Some((owner, name)) if valid_part(owner) && valid_part(name) => Ok((owner, name)),
        _ => Err(Error::InvalidRepository {
            repo: repo.to_owned(),
        }),
    }
}
