//! One module per subcommand, each with a `run` function.

pub mod admin;
pub mod agent_runner;
mod codex_demo;
mod demo;
pub mod dev;
mod follow;
pub mod migrate;
pub mod runs;
pub mod scripted_agent;
pub mod serve;
pub mod worker;
