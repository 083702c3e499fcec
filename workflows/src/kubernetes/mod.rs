//! The Kubernetes runtime: agent Jobs in run namespaces with RBAC profiles, quotas and network
//! policy; Job status read back as the run's signals; guardrails for what may be changed; the
//! worker scaler's arithmetic.

mod cleanup;
pub mod guardrails;
mod inspect;
pub mod job_status;
pub mod labels;
pub mod names;
pub mod objects;
mod runtime;
pub mod scaler;
pub mod scaler_loop;
mod settings;

pub use cleanup::{Swept, Thread};
pub(crate) use runtime::describe;
pub use runtime::{KubernetesRuntime, exit_code};
pub use settings::*;
