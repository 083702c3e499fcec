//! `codex-k8s runs list|show|follow|cancel|retry`: the operator's command line over the staff
//! API (`CK8S_API_URL`, with the staff JWT of `CK8S_API_TOKEN` as bearer), in the spirit of
//! Temporal's CLI: a readable table and timeline for people, `--json` (the API's own JSON, one
//! event per line for `follow`) for scripts, and exit codes a script can branch on.
//!
//! It is an HTTP client only: it never reads the database, and every answer is parsed with the
//! wire types generated from `api/openapi.yaml`.

mod client;
mod command;
mod follow;
mod format;
mod list;
mod show;
mod sse;

pub use command::run;
