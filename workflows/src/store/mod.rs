//! The domain's SQL: one function per query file under `workflows/queries/<table>/<verb>.sql`.

pub mod agent_outcome;
pub mod agent_run;
pub mod agent_session;
pub mod directory;
pub mod flow_event;
pub mod link;
pub mod oauth_login;
pub mod push_grant;
pub mod review;
pub mod run_token;
pub mod staff_run;
pub mod token_usage;
pub mod webhook_delivery;
