//! What the numbers were measured on: CPUs, CPU model and Postgres version.

use serde::Serialize;

use crate::server::Server;

/// The machine and server of a bench run, printed with every line.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Hardware {
    /// CPUs available to this process.
    nproc: usize,
    /// `model name` from /proc/cpuinfo.
    cpu: String,
    /// `version()` of the server, when one was started.
    postgres: Option<String>,
}

impl Hardware {
    /// Reads the CPU count and model, and asks the server its version.
    pub(crate) async fn detect(server: Option<&Server>) -> Self {
        let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".into());
        let postgres = match server {
            Some(s) => s.version().await.ok(),
            None => None,
        };
        Self {
            nproc,
            cpu,
            postgres,
        }
    }
}
