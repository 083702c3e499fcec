//! The real `kubectl`, a Kubernetes client nobody here wrote, for tests that check our manifests
//! and our fake API server against it. `tests/run-all.sh` installs it when the machine has none.

use std::path::PathBuf;

/// The `kubectl` to run: `$KUBECTL` when set, else the first `kubectl` on `PATH`.
///
/// # Panics
/// When there is none: the tests that need it must not pass silently without it.
pub fn kubectl() -> PathBuf {
    if let Some(path) = std::env::var_os("KUBECTL") {
        return PathBuf::from(path);
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("kubectl"))
        .find(|candidate| candidate.is_file())
        .expect("kubectl not found: tests/run-all.sh installs it (Debian package kubernetes-client), or set KUBECTL")
}
