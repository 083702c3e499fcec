//! Starting a process: `serve` and `worker` have distinct default addresses, and a taken address
//! stops the process at start with a message that names it (before it claims any work).

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

/// Runs `codex-k8s <command>` with CK8S_HTTP_ADDR on `addr` and a database nobody answers on;
/// returns its exit success and its output, or panics if it is still running after 60 s.
fn start(command: &str, addr: &str) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_codex-k8s"))
        .arg(command)
        .env("DATABASE_URL", "postgres://codex@127.0.0.1:1/codex")
        .env("CK8S_HTTP_ADDR", addr)
        .env("CK8S_GITHUB_WEBHOOK_SECRET", "whsec-startup-test")
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start codex-k8s");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("poll codex-k8s").is_none() {
        if Instant::now() > deadline {
            child.kill().ok();
            panic!("`codex-k8s {command}` did not stop on a taken address");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("codex-k8s output");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn a_worker_or_server_whose_address_is_taken_stops_at_start_naming_it() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    for command in ["worker", "serve"] {
        let (ok, out) = start(command, &addr);
        assert!(!ok, "{command}: {out}");
        assert!(
            out.contains(&format!("bind the HTTP address {addr} (CK8S_HTTP_ADDR)")),
            "{command}: {out}"
        );
        // It stopped before reaching the database (which would have failed differently).
        assert!(!out.contains("connect to Postgres"), "{command}: {out}");
    }
}

#[test]
fn serve_and_worker_default_to_different_addresses() {
    use clap::Parser;
    use workers::config::{Cli, SERVE_ADDR, WORKER_ADDR};
    assert_ne!(SERVE_ADDR, WORKER_ADDR);
    let cli = Cli::try_parse_from(["codex-k8s", "worker"]).unwrap();
    assert_eq!(
        cli.config.http_addr, None,
        "no address unless CK8S_HTTP_ADDR is set"
    );
    assert_eq!(cli.config.http_addr_or(WORKER_ADDR).port(), 8081);
    assert_eq!(cli.config.http_addr_or(SERVE_ADDR).port(), 8080);
}
