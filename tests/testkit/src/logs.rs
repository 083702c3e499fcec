//! Log capture for tests: a subscriber writing JSON lines into memory, installed as the thread's
//! default. With a `current_thread` runtime every task of the test logs into it.

use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Captured log output.
#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    /// Installs a JSON subscriber with `filter` as this thread's default until the guard drops.
    pub fn install(&self, filter: EnvFilter) -> tracing::subscriber::DefaultGuard {
        keep_interest_shared();
        let writer = self.clone();
        let subscriber = tracing_subscriber::registry()
            .with(filter)
            .with(fmt::layer().json().with_writer(move || writer.clone()));
        tracing::subscriber::set_default(subscriber)
    }

    /// Everything written so far.
    pub fn text(&self) -> String {
        let bytes = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The lines whose message is `message`, parsed.
    pub fn with_message(&self, message: &str) -> Vec<Value> {
        self.text()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|l| l["fields"]["message"] == message)
            .collect()
    }
}

/// Keeps a second, silent dispatcher registered for the life of the process.
///
/// With exactly one scoped dispatcher alive, `tracing-core` computes a callsite's cached interest
/// from the default of whichever thread reaches the callsite first. In a test binary another
/// test's thread (no subscriber) then caches `never` for a callsite this capture wants, and its
/// lines are lost for good. With two dispatchers registered, every callsite's interest is the
/// combination of all of them (`sometimes`), so each event asks its own thread's subscriber.
fn keep_interest_shared() {
    static SILENT: OnceLock<tracing::Dispatch> = OnceLock::new();
    SILENT.get_or_init(|| tracing::Dispatch::new(tracing::subscriber::NoSubscriber::new()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared_callsite() {
        tracing::info!("reached");
    }

    #[test]
    fn a_callsite_first_reached_by_a_thread_without_subscriber_still_logs_into_the_capture() {
        let logs = Capture::default();
        let _guard = logs.install(EnvFilter::new("info"));
        // Another thread, with no subscriber of its own, registers the callsite first.
        std::thread::spawn(shared_callsite).join().unwrap();
        shared_callsite();
        assert_eq!(logs.with_message("reached").len(), 1, "{}", logs.text());
    }
}
