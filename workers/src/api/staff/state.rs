//! What the staff API needs besides the platform: the contract, JWT keys, the token vault, GitHub
//! OAuth settings, the read router and the live event hub.

use std::sync::Arc;

use workflows::vault::Vault;

use super::{contract::Contract, events::EventHub, jwt::JwtKeys, oauth::OAuthConfig, reads::Reads};

/// The staff API's state (one per process; cheap to share behind an `Arc`).
pub struct StaffState {
    /// The contract, parsed once.
    pub(crate) contract: Arc<Contract>,
    /// JWT signing and verification keys.
    pub jwt: JwtKeys,
    /// Repository token encryption; none: tokens cannot be stored.
    pub vault: Option<Vault>,
    /// GitHub OAuth; none: staff log in with `codex-k8s admin token` only.
    pub oauth: Option<OAuthConfig>,
    /// Where inspection reads go (a replica, or the primary).
    pub reads: Reads,
    /// Live run events for SSE subscribers.
    pub(crate) events: EventHub,
}

impl StaffState {
    /// The staff state over `reads` (whose primary is the platform's pool).
    pub fn new(
        jwt: JwtKeys,
        vault: Option<Vault>,
        oauth: Option<OAuthConfig>,
        reads: Reads,
    ) -> Arc<Self> {
        let events = EventHub::new(reads.primary().clone());
        Arc::new(Self {
            contract: Contract::get(),
            jwt,
            vault,
            oauth,
            reads,
            events,
        })
    }
}

impl StaffState {
    /// A self-contained staff state over one pool: a random JWT key, a random token vault, no
    /// OAuth, every read on the primary (tests, benchmarks).
    pub fn local(pool: sqlx::PgPool) -> Arc<Self> {
        let vault =
            Vault::parse(&Vault::generate_entry("local"), None).expect("a generated key is valid");
        Self::new(
            JwtKeys::generate("local", std::time::Duration::from_secs(900)),
            Some(vault),
            None,
            Reads::primary_only(pool),
        )
    }
}
