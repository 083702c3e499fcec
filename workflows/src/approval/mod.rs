//! Approval requests of the MCP control tools and the Owner's answers.
//!
//! A tool call opens a request (`approvals`, one open request per idempotency signature) and
//! starts its [`ApprovalFlow`] in the same transaction. The flow POSTs the request to the
//! approver (signed JSON, bounded retries), waits for the decision until the request expires,
//! and passes the decision on: `agent_labels` runs get `owner_decision`, approved secret and
//! database actions go to the executor. Answers come back through [`answer`] (approver) and
//! [`report`] (executor): exactly one answer wins, every other one is classified and refused.
//!
//! States: `requested → approved | denied | expired`, then `approved → applied | failed`
//! ([`State::can_become`]). Everything is audited in `flow_events`, redacted ([`redact`]).

mod audit;
mod config;
mod control;
mod decide;
mod deliver;
mod error;
mod execute;
mod feedback;
mod flow;
mod inbox;
mod labels;
mod lookup;
mod model;
mod open;
mod sign;
mod store;
mod wait;

pub use audit::{REDACTED, record as audit, redact};
pub use config::{ApprovalConfig, SigningKey};
pub use control::{
    DatabaseAction, DatabaseAsk, SecretSyncAsk, SyncMode, request_database, request_secret_sync,
};
pub use decide::{ApproverAnswer, ExecutorOutcome, ExecutorReport, answer, report};
pub use deliver::{APPROVER_CALLBACK_PATH, EXECUTOR_CALLBACK_PATH, SCHEMA_VERSION};
pub use error::{Classification, Error, Result};
pub use execute::{DatabaseAdmin, DatabaseAdminError, ExecuteError, Executor};
pub use feedback::{FeedbackAsk, FeedbackOutcome, request as request_feedback};
pub use flow::{ApprovalFlow, ApprovalFlowInput, ApprovalFlowOutput, DECIDED};
pub use inbox::{InboxQuery, StaffDecision, decide as decide_as_staff, get as get_approval, inbox};
pub use labels::{LabelAction, LabelsAsk, request as request_labels};
pub use lookup::{
    MAX_PAGE, MAX_STATUS, approval_status, report_status, run, run_lookup, runs, session,
};
pub use model::{Approval, Decision, FeedbackOption, Kind, State, Verdict};
pub use sign::{
    Audience, DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, callback_token,
    signature, token_matches,
};
pub(crate) use store::open_feedback_state;
