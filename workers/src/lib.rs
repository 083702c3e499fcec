//! The codex-k8s binaries' library: configuration, telemetry, the HTTP surface and one module per
//! subcommand. `main.rs` only parses the command line and dispatches.

pub mod api;
pub mod cmd;
pub mod config;
pub mod database;
pub mod health;
pub mod http;
pub mod mcp;
pub mod metrics;
pub mod platform;
pub mod sample;
pub mod telemetry;
pub mod trace;
