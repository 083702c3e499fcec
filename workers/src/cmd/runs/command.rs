//! Runs one `runs` subcommand and turns its result into output and an exit code. Errors are
//! printed here, once, for a person (a refusal as `title: detail` with what to do about it); the
//! token is never part of any output.

use std::process::ExitCode;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use super::{
    client::{CallError, ListQuery, StaffClient},
    follow::{self, Followed},
    list, show,
};
use crate::{
    api::staff::wire,
    config::{Config, RunsArgs, RunsCommand},
};

/// Exit code: something failed (no answer, an answer outside the contract).
const FAILED: u8 = 1;
/// Exit code: the configuration or an argument is wrong (as clap's usage errors).
const USAGE: u8 = 2;
/// Exit code of `follow`: the run ended without succeeding.
const NOT_SUCCEEDED: u8 = 3;
/// Exit code: 401, the token is missing, expired or not this server's.
const UNAUTHENTICATED: u8 = 4;
/// Exit code: 403, the caller's role does not allow it.
const FORBIDDEN: u8 = 5;
/// Exit code: 404, no such run (or not visible to the caller).
const NOT_FOUND: u8 = 6;
/// Exit code: 409, the run's state does not allow it.
const CONFLICT: u8 = 7;
/// Exit code: any other refusal (400, 5xx).
const REFUSED: u8 = 8;
/// Exit code: interrupted (Ctrl-C) while following.
const INTERRUPTED: u8 = 130;

/// Why a subcommand failed.
#[derive(Debug, thiserror::Error)]
enum Failure {
    /// A setting or argument is unusable.
    #[error("{0}")]
    Usage(String),
    /// A call failed.
    #[error(transparent)]
    Call(#[from] CallError),
}

/// Runs `args` against the staff API of `config`; prints what it did or why it failed.
pub async fn run(config: &Config, args: RunsArgs, shutdown: CancellationToken) -> ExitCode {
    match execute(config, args, &shutdown).await {
        Ok(code) => ExitCode::from(code),
        Err(Failure::Usage(message)) => {
            eprintln!("{message}");
            ExitCode::from(USAGE)
        }
        Err(Failure::Call(e)) => {
            eprintln!("{}", message(&e));
            ExitCode::from(exit_code(&e))
        }
    }
}

fn client(config: &Config) -> Result<StaffClient, Failure> {
    let token = config.api_token.clone().ok_or_else(|| {
        Failure::Usage(
            "CK8S_API_TOKEN is not set: `runs` needs a staff JWT (`codex-k8s admin token --user <email>`)"
                .into(),
        )
    })?;
    Ok(StaffClient::new(
        &config.api_url,
        token,
        config.api_timeout,
    )?)
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).map_err(|e| CallError::Invalid {
        what: "print the answer",
        detail: e.to_string(),
    })?;
    println!("{text}");
    Ok(())
}

async fn execute(
    config: &Config,
    args: RunsArgs,
    shutdown: &CancellationToken,
) -> Result<u8, Failure> {
    let client = client(config)?;
    match args.command {
        RunsCommand::List {
            project,
            status,
            issue,
            limit,
            cursor,
            json,
        } => {
            let query = ListQuery {
                project,
                status,
                issue,
                limit,
                cursor,
            };
            let page = client.list_runs(&query).await?;
            if json {
                print_json(&page)?;
            } else {
                print!("{}", list::render(&page, Utc::now()));
            }
        }
        RunsCommand::Show { id, json } => {
            let run = client.get_run(id).await?;
            if json {
                print_json(&run)?;
            } else {
                print!("{}", show::render(&run, Utc::now()));
            }
        }
        RunsCommand::Follow { id, json } => {
            return Ok(match follow::follow(&client, id, json, shutdown).await? {
                Followed::Ended(run) if follow::final_status(&run) == "succeeded" => 0,
                Followed::Ended(_) => NOT_SUCCEEDED,
                Followed::Interrupted => INTERRUPTED,
            });
        }
        RunsCommand::Cancel { id, reason, json } => {
            let reason = reason
                .map(wire::CancelRequestReason::try_from)
                .transpose()
                .map_err(|e| Failure::Usage(format!("--reason: {e}")))?;
            let done = client.cancel_run(id, reason).await?;
            if json {
                print_json(&done)?;
            } else {
                println!("run {}: {}", done.run_id, outcome(done.outcome));
            }
        }
        RunsCommand::Retry { id, json } => {
            let done = client.retry_run(id).await?;
            if json {
                print_json(&done)?;
            } else {
                println!("run {}: {}", done.run_id, outcome(done.outcome));
            }
        }
    }
    Ok(0)
}

/// What a cancel or retry did, for a person.
fn outcome(o: wire::RunActionResultOutcome) -> &'static str {
    use wire::RunActionResultOutcome as O;
    match o {
        O::Terminating => {
            "terminating: its cleanup runs, then it ends cancelled (`codex-k8s runs follow` shows it)"
        }
        O::Finished => "cancelled (it had not started)",
        O::AlreadyEnded => "already ended or ending; nothing to cancel",
        O::Resumed => "resumed from its failed step",
        O::Blocked => "retried; it waits for a free slot of its project or Issue first",
        O::NotParked => "not parked; nothing to retry",
    }
}

fn exit_code(e: &CallError) -> u8 {
    match e.status() {
        Some(401) => UNAUTHENTICATED,
        Some(403) => FORBIDDEN,
        Some(404) => NOT_FOUND,
        Some(409) => CONFLICT,
        Some(_) => REFUSED,
        None => FAILED,
    }
}

/// The error as `title: detail`, with what to do for the common refusals.
fn message(e: &CallError) -> String {
    let CallError::Refused { problem, .. } = e else {
        return e.to_string();
    };
    let mut text = e.to_string();
    for field in &problem.errors {
        text.push_str(&format!("\n  {}: {}", field.field, field.message));
    }
    let hint = match problem.status {
        401 => Some(
            "the token (CK8S_API_TOKEN) is missing, expired or not signed by this server: mint a new one with `codex-k8s admin token --user <email>`",
        ),
        403 => Some(
            "your role does not allow this: reading needs membership of the run's project, cancel and retry need read_write",
        ),
        404 => Some("no such run, or it belongs to a project you cannot read"),
        409 => Some(
            "the run's state does not allow this now: `codex-k8s runs show <id>` shows its state",
        ),
        _ => None,
    };
    if let Some(hint) = hint {
        text.push_str(&format!("\n{hint}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: i64, title: &str, detail: &str) -> CallError {
        CallError::Refused {
            what: "get the run",
            problem: Box::new(wire::Problem {
                code: "x".into(),
                detail: Some(detail.into()),
                errors: Vec::new(),
                status,
                title: title.into(),
                type_: "about:blank".into(),
            }),
        }
    }

    #[test]
    fn each_refusal_has_its_own_exit_code_and_message() {
        let cases = [
            (401, "Unauthenticated", UNAUTHENTICATED, "admin token"),
            (403, "Forbidden", FORBIDDEN, "read_write"),
            (404, "Not found", NOT_FOUND, "no such run"),
            (409, "Conflict", CONFLICT, "runs show"),
            (400, "Invalid request", REFUSED, "Invalid request: why"),
        ];
        let mut seen = std::collections::HashSet::new();
        for (status, title, code, says) in cases {
            let e = refused(status, title, "why");
            let text = message(&e);
            assert!(text.starts_with(&format!("{title}: why")), "{text}");
            assert!(text.contains(says), "{status}: {text}");
            assert_eq!(exit_code(&e), code);
            assert!(seen.insert(code), "{status} shares its exit code");
        }
        let unreachable = CallError::Unreachable {
            what: "list runs",
            attempts: 3,
            last: "connection refused".into(),
        };
        assert_eq!(exit_code(&unreachable), FAILED);
    }
}
