//! `--diagnose` around one drain: what the backends waited on ([`Waits`]) and the WAL the drain
//! wrote ([`WalMark`]), started together before it and printed together after it.

use anyhow::Result;

use crate::{server::Server, waits::Waits, wal_records::WalMark};

/// Both probes of one drain of `database`.
pub(crate) struct DrainProbe {
    database: String,
    wal: WalMark,
    waits: Waits,
}

impl DrainProbe {
    /// Starts both probes (`None` without `--diagnose`).
    pub(crate) async fn start(server: &Server, database: &str) -> Result<Option<Self>> {
        if !server.diagnose {
            return Ok(None);
        }
        Ok(Some(Self {
            database: database.to_owned(),
            wal: WalMark::now(server).await?,
            waits: Waits::start(server, database).await?,
        }))
    }

    /// Stops the sampler and prints both, the WAL per job of `jobs`.
    pub(crate) async fn report(self, server: &Server, jobs: u64) -> Result<()> {
        self.waits.report().await?;
        self.wal.report(server, &self.database, jobs).await
    }
}
