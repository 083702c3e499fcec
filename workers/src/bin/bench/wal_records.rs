//! `--diagnose`: the WAL a drain wrote, by record type, read back with `pg_waldump --stats=record`
//! between two positions, and printed per job.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::server::Server;

/// The WAL position a drain starts at.
pub(crate) struct WalMark(String);

impl WalMark {
    /// Marks the server's flushed WAL position now.
    pub(crate) async fn now(server: &Server) -> Result<Self> {
        Ok(Self(flushed(server).await?))
    }

    /// Prints the WAL written since the mark by record type, per job of `jobs`, biggest first.
    pub(crate) async fn report(self, server: &Server, label: &str, jobs: u64) -> Result<()> {
        let from = self.0;
        let to = flushed(server).await?;
        let out = Command::new(server.bindir().join("pg_waldump"))
            .args(["--stats=record", "-p"])
            .arg(server.data_dir().join("pg_wal"))
            .args(["-s", &from, "-e", &to])
            .output()
            .context("run pg_waldump")?;
        if !out.status.success() {
            bail!(
                "pg_waldump failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let mut rows: Vec<(String, u64, u64)> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(parse_line)
            .filter(|(_, count, _)| *count > 0)
            .collect();
        rows.sort_by_key(|(_, _, bytes)| std::cmp::Reverse(*bytes));
        let jobs = jobs.max(1) as f64;
        let total: u64 = rows.iter().map(|(_, _, bytes)| bytes).sum();
        eprintln!(
            "  WAL of {label} by record type ({:.0} B per job; records and bytes per job):",
            total as f64 / jobs
        );
        for (kind, count, bytes) in rows.into_iter().take(12) {
            eprintln!(
                "    {kind:<28} {:>6.2} {:>7.1}",
                count as f64 / jobs,
                bytes as f64 / jobs
            );
        }
        Ok(())
    }
}

async fn flushed(server: &Server) -> Result<String> {
    sqlx::query_scalar("select pg_current_wal_flush_lsn()::text")
        .fetch_one(server.admin())
        .await
        .context("read the WAL flush position")
}

/// One row of `--stats=record`: `Type  N (%)  Record size (%)  FPI size (%)  Combined size (%)`,
/// as (type, records, combined bytes). Headers and the total line do not parse.
fn parse_line(line: &str) -> Option<(String, u64, u64)> {
    let fields: Vec<&str> = line
        .split_whitespace()
        .filter(|f| !f.starts_with('(') && !f.ends_with(')'))
        .collect();
    match fields.as_slice() {
        [kind, count, _record, _fpi, combined] if kind.contains('/') => Some((
            (*kind).to_owned(),
            count.parse().ok()?,
            combined.parse().ok()?,
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::parse_line;

    #[test]
    fn a_record_type_row_parses_and_headers_do_not() {
        assert_eq!(
            parse_line(
                "Heap/UPDATE                                30000 ( 20.00)       4860000 ( 16.03)            0 (  0.00)      4860000 ( 15.90)"
            ),
            Some(("Heap/UPDATE".into(), 30000, 4860000))
        );
        assert_eq!(
            parse_line(
                "Type                                           N      (%)          Record size      (%)             FPI size      (%)        Combined size      (%)"
            ),
            None
        );
        assert_eq!(
            parse_line(
                "Total                                      150000                   30310000 [99.00%]"
            ),
            None
        );
    }
}
