//! Dev-only support for the workspace's tests, benchmarks and the `dev` command.
//!
//! Nothing here is product code: `engine` and `workflows` use it only as a dev-dependency, and the
//! `codex-k8s` binary reaches it only from `dev` (a throwaway Postgres when no `DATABASE_URL` is
//! set, the local fakes for `dev --demo`). The fakes speak the real wire protocols on 127.0.0.1
//! so the real clients (octocrab, the codex CLI, the embeddings client) can be driven against them.

pub mod embeddings;
pub mod git;
pub mod github;
pub mod kube_api;
pub mod kubectl;
pub mod logs;
pub mod model;
pub mod oauth;
pub mod test_database;
pub mod throwaway;

#[cfg(test)]
mod codegen;
