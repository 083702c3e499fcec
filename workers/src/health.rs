//! Liveness and readiness. `/livez` says the process serves HTTP; `/readyz` says it can do its
//! job: the database answers within [`DB_TIMEOUT`], its migrations are the ones this binary
//! expects, and (in a worker) the LISTEN connection is up and every engine loop runs.
//!
//! A monitor keeps its own connection (not one from the pool, so a busy pool never reads as an
//! outage) and checks the database every [`MONITOR_EVERY`]; the webhook ingress reads its verdict
//! to answer 503 with `Retry-After` at once during an outage instead of holding the sender for
//! the pool's acquire timeout.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use engine::{HealthState, WorkerHealth};
use serde::Serialize;
use sqlx::{Connection, PgConnection, PgPool};
use tokio_util::sync::CancellationToken;

/// Bound of one database check.
pub const DB_TIMEOUT: Duration = Duration::from_secs(1);
/// How often the monitor checks the database.
pub const MONITOR_EVERY: Duration = Duration::from_millis(500);
/// What a 503 tells the caller to wait, in seconds.
pub const RETRY_AFTER_SECS: u64 = 5;

/// The migrations this binary applies (and expects applied).
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// One check of a readiness report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// `database`, `migrations` or `worker`.
    pub name: &'static str,
    /// Whether it passed.
    pub ok: bool,
    /// Why not (never a secret: messages name the check, not the connection string).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The database as the monitor last saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Database {
    /// Not checked yet.
    Unknown,
    /// Answered; `migrated` tells whether its migrations match this binary.
    Up { migrated: Result<(), String> },
    /// Did not answer, with why.
    Down(String),
}

/// The readiness of one process, shared by its probe, its ingress and its monitor.
#[derive(Clone)]
pub struct Readiness {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    worker: Option<WorkerHealth>,
    database: Mutex<Database>,
}

impl Readiness {
    /// Readiness over `pool`; a worker passes its engine health too.
    pub fn new(pool: PgPool, worker: Option<WorkerHealth>) -> Self {
        Self {
            inner: Arc::new(Inner {
                pool,
                worker,
                database: Mutex::new(Database::Unknown),
            }),
        }
    }

    /// Why the database is known to be down, if it is (the ingress refuses fast then).
    pub fn database_down(&self) -> Option<String> {
        match &*self.lock() {
            Database::Down(why) => Some(why.clone()),
            _ => None,
        }
    }

    /// The checks as they stand; ready when every one passed.
    pub fn report(&self) -> Vec<Check> {
        let mut checks = match self.lock().clone() {
            Database::Unknown => vec![failed("database", "not checked yet")],
            Database::Down(why) => vec![failed("database", &why)],
            Database::Up { migrated } => vec![
                passed("database"),
                match migrated {
                    Ok(()) => passed("migrations"),
                    Err(why) => failed("migrations", &why),
                },
            ],
        };
        if let Some(worker) = &self.inner.worker {
            checks.push(match worker.state() {
                HealthState::Healthy => passed("worker"),
                HealthState::Degraded(why) | HealthState::Failed(why) => failed("worker", &why),
            });
        }
        checks
    }

    /// Checks the database until `stop`, every [`MONITOR_EVERY`], on a connection of its own.
    pub fn spawn_monitor(&self, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let mut connection: Option<PgConnection> = None;
            let mut reported: Option<bool> = None;
            loop {
                let seen = this.check_once(&mut connection).await;
                let up = matches!(seen, Database::Up { .. });
                if reported != Some(up) {
                    match &seen {
                        Database::Down(why) => {
                            tracing::warn!(reason = %why, "database unreachable: not ready")
                        }
                        _ => tracing::info!("database reachable"),
                    }
                    reported = Some(up);
                }
                *this.lock() = seen;
                tokio::select! {
                    _ = tokio::time::sleep(MONITOR_EVERY) => {}
                    _ = stop.cancelled() => return,
                }
            }
        })
    }

    async fn check_once(&self, connection: &mut Option<PgConnection>) -> Database {
        let checked = tokio::time::timeout(DB_TIMEOUT, async {
            if connection.is_none() {
                let options = self.inner.pool.connect_options();
                *connection = Some(PgConnection::connect_with(&options).await?);
            }
            let conn = connection.as_mut().expect("connected above");
            applied_migration(conn).await
        })
        .await;
        match checked {
            Ok(Ok(applied)) => Database::Up {
                migrated: expected_migration(applied),
            },
            Ok(Err(e)) => {
                *connection = None;
                Database::Down(database_error(&e))
            }
            Err(_) => {
                *connection = None;
                Database::Down(format!("no answer within {} ms", DB_TIMEOUT.as_millis()))
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Database> {
        self.inner
            .database
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The latest successfully applied migration version (0 before any).
async fn applied_migration(conn: &mut PgConnection) -> Result<i64, sqlx::Error> {
    let version: Option<i64> =
        sqlx::query_scalar("select max(version) from _sqlx_migrations where success")
            .fetch_one(&mut *conn)
            .await
            .or_else(|e| match &e {
                // No migrations table yet: nothing applied.
                sqlx::Error::Database(d) if d.code().as_deref() == Some("42P01") => Ok(None),
                _ => Err(e),
            })?;
    Ok(version.unwrap_or(0))
}

fn expected_migration(applied: i64) -> Result<(), String> {
    let expected = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
    match applied.cmp(&expected) {
        std::cmp::Ordering::Equal => Ok(()),
        std::cmp::Ordering::Less => Err(format!(
            "the database is at migration {applied}, this binary needs {expected}: run `codex-k8s migrate`"
        )),
        std::cmp::Ordering::Greater => Err(format!(
            "the database is at migration {applied}, newer than this binary's {expected}: deploy the newer binary"
        )),
    }
}

/// A database error as an operator reads it: the kind, never the connection string.
fn database_error(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Io(io) => format!("connection failed: {}", io.kind()),
        sqlx::Error::Database(d) => format!("database error {}", d.code().unwrap_or_default()),
        sqlx::Error::Tls(_) => "TLS handshake failed".into(),
        sqlx::Error::PoolTimedOut => "no connection available in time".into(),
        sqlx::Error::Protocol(_) => "protocol error".into(),
        // Other variants may quote configuration; say only that it failed.
        _ => "database error".into(),
    }
}

fn passed(name: &'static str) -> Check {
    Check {
        name,
        ok: true,
        detail: None,
    }
}

fn failed(name: &'static str, why: &str) -> Check {
    Check {
        name,
        ok: false,
        detail: Some(why.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_behind_or_ahead_say_what_to_do() {
        let expected = MIGRATOR.iter().map(|m| m.version).max().unwrap();
        assert_eq!(expected_migration(expected), Ok(()));
        assert!(
            expected_migration(expected - 1)
                .unwrap_err()
                .contains("codex-k8s migrate")
        );
        assert!(
            expected_migration(expected + 1)
                .unwrap_err()
                .contains("newer binary")
        );
    }
}
