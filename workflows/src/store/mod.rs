//! The domain's SQL: one function per query file under `workflows/queries/<table>/<verb>.sql`.

pub mod agent_run;
pub mod agent_session;
pub mod directory;
pub mod flow_event;
pub mod oauth_login;
pub mod run_token;
pub mod staff_run;
pub mod token_usage;
pub mod webhook_delivery;
