//! The process clock, injected so tests can run a worker whose clock disagrees with the database's.
//! Every persisted instant comes from the database's clock; the process clock only estimates it
//! (see `worker::services::Services::db_now`).

use chrono::{DateTime, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now, by this clock.
    fn now(&self) -> DateTime<Utc>;
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
