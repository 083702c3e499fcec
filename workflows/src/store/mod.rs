//! The domain's SQL: one function per query file under `workflows/queries/<table>/<verb>.sql`.

pub mod agent_run;
pub mod directory;
pub mod flow_event;
pub mod run_token;
pub mod webhook_delivery;
