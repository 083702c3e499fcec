//! The per-test bundle: a fresh fake and a client configured for it.

use std::time::Duration;

use http::Method;
use testkit::github::{Auth, BOT_LOGIN, FakeGitHub, RecordedRequest};

use crate::github::{ClientConfig, GitHubClient, Token};

/// The repository every test uses.
pub(super) const REPO: &str = "acme/shop";

pub(super) struct Bundle {
    pub(super) fake: FakeGitHub,
    pub(super) client: GitHubClient,
}

pub(super) async fn start() -> Bundle {
    start_with(|config| config).await
}

pub(super) async fn start_with(tune: impl FnOnce(ClientConfig) -> ClientConfig) -> Bundle {
    let fake = FakeGitHub::start().await.expect("fake github starts");
    let client = GitHubClient::new(tune(fake_config(&fake))).expect("client builds");
    Bundle { fake, client }
}

/// Client settings pointing at the fake, with a short retry backoff.
pub(super) fn fake_config(fake: &FakeGitHub) -> ClientConfig {
    ClientConfig {
        base_url: fake.base_url().to_owned(),
        bot_login: Some(BOT_LOGIN.to_owned()),
        retry_backoff: Duration::from_millis(10),
        ..ClientConfig::new(
            Token::new(fake.platform_token()),
            Token::new(fake.bot_token()),
        )
    }
}

impl Bundle {
    /// Requests with this method whose path is exactly `path`.
    pub(super) fn requests_to(&self, method: Method, path: &str) -> Vec<RecordedRequest> {
        let matches = |r: &RecordedRequest| r.method == method && r.path == path;
        self.fake.requests().into_iter().filter(matches).collect()
    }

    /// The tokens the requests so far carried, in order.
    pub(super) fn auths(&self) -> Vec<Auth> {
        self.fake.requests().iter().map(|r| r.auth).collect()
    }
}
