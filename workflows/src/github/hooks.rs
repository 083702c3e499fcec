//! The repository's webhook: created, or repaired in place, so GitHub delivers the platform's
//! events to its ingress signed with its secret. Found by its URL; managed with the platform token
//! (it needs admin rights on the repository).

use serde::Deserialize;
use serde_json::json;

use super::client::{GitHubClient, Retry, split_repo};
use super::error::{Error, Result};
use super::token::{Identity, Token};

/// The webhook the platform wants on a repository.
#[derive(Debug)]
pub struct WebhookSpec<'a> {
    /// Where GitHub posts: the ingress, `https://<host>/api/v1/webhooks/github`.
    pub url: &'a str,
    /// The secret GitHub signs each delivery with (`CK8S_GITHUB_WEBHOOK_SECRET`).
    pub secret: &'a Token,
    /// The events delivered.
    pub events: &'a [&'a str],
}

/// What [`GitHubClient::ensure_webhook`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookSetup {
    /// GitHub's id of the hook.
    pub id: u64,
    /// True when it was created; false when an existing hook with the URL was repaired (its
    /// secret, events and content type set again, and made active).
    pub created: bool,
}

#[derive(Debug, Deserialize)]
struct HookConfig {
    #[serde(default)]
    url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Hook {
    id: u64,
    config: HookConfig,
}

/// Hooks one page lists; a repository may hold at most 20 of one kind.
const HOOKS_PER_PAGE: u32 = 100;

impl GitHubClient {
    /// Creates the webhook, or repairs the one that posts to the same URL (GitHub never shows a
    /// hook's secret, so an existing hook is always updated). Never retried blindly: a create
    /// whose answer was lost is found by its URL the next time.
    #[tracing::instrument(name = "github_call", skip_all, fields(operation = "set_webhook", http.status_code = tracing::field::Empty, outcome = tracing::field::Empty, otel.kind = "client", otel.status_code = tracing::field::Empty, repo = %repo))]
    pub async fn ensure_webhook(&self, repo: &str, spec: &WebhookSpec<'_>) -> Result<WebhookSetup> {
        let (owner, name) = split_repo(repo)?;
        let failed = |source| Error::SetWebhook {
            repo: repo.to_owned(),
            source,
        };
        let octo = self.octocrab(Identity::Platform);
        let list = format!("/repos/{owner}/{name}/hooks?per_page={HOOKS_PER_PAGE}");
        let list = list.as_str();
        let hooks: Vec<Hook> = self
            .call("list_hooks", Identity::Platform, Retry::Transient, || {
                octo.get(list, None::<&()>)
            })
            .await
            .map_err(failed)?;
        let body = json!({
            "name": "web",
            "active": true,
            "events": spec.events,
            "config": {
                "url": spec.url,
                "content_type": "json",
                "insecure_ssl": "0",
                "secret": spec.secret.expose(),
            },
        });
        let body = &body;
        let found = hooks
            .iter()
            .find(|h| h.config.url.as_deref() == Some(spec.url));
        let (route, created) = match found {
            Some(hook) => (format!("/repos/{owner}/{name}/hooks/{}", hook.id), false),
            None => (format!("/repos/{owner}/{name}/hooks"), true),
        };
        let route = route.as_str();
        let hook: Hook = if created {
            self.call("create_hook", Identity::Platform, Retry::Never, || {
                octo.post(route, Some(body))
            })
            .await
        } else {
            self.call("update_hook", Identity::Platform, Retry::Transient, || {
                octo.patch(route, Some(body))
            })
            .await
        }
        .map_err(failed)?;
        Ok(WebhookSetup {
            id: hook.id,
            created,
        })
    }
}
