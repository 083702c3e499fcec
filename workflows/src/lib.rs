//! codex-k8s stage workflows and domain policy: label routing, stage runs, GitHub status, prompts.
//! Depends on `engine` only; knows nothing of HTTP servers or binaries.

pub mod policy;
