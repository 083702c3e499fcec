//! Following a run from the terminal: new events as they happen, then its step timeline.

use std::{collections::HashSet, time::Duration};

use anyhow::bail;
use engine::{Client, RunDetail, RunStatus};
use tokio_util::sync::CancellationToken;

/// Called on each poll with the run; may act on it (e.g. send a signal).
pub(crate) type OnPoll<'a> =
    &'a mut (dyn FnMut(&RunDetail) -> Option<(String, serde_json::Value)> + Send);

/// Prints each new event of the run until it ends; `on_poll` may return a signal to send.
pub(crate) async fn follow(
    client: &Client,
    run_id: uuid::Uuid,
    shutdown: &CancellationToken,
    on_poll: OnPoll<'_>,
) -> anyhow::Result<RunDetail> {
    let mut printed = 0usize;
    let mut seen_status = HashSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let run = client.get_run(run_id).await?;
        for e in run.events.iter().skip(printed) {
            println!("event     {:<22} {}", e.kind, e.detail);
        }
        printed = run.events.len();
        if seen_status.insert(run.summary.status) {
            println!("status    {}", run.summary.status.as_str());
        }
        if run.summary.status.is_terminal() {
            return Ok(run);
        }
        if let Some((signal, payload)) = on_poll(&run) {
            println!("signal    sending {signal:?}");
            client
                .signal(run_id, &signal, payload, Some(&format!("follow-{signal}")))
                .await?;
        }
        if shutdown.is_cancelled() || tokio::time::Instant::now() > deadline {
            bail!("run {run_id} did not finish");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Prints the run's steps, waits and budget.
pub(crate) fn print_timeline(run: &RunDetail) {
    let took = run
        .summary
        .finished_at
        .map(|f| (f - run.summary.created_at).num_milliseconds())
        .unwrap_or(-1);
    println!();
    println!(
        "run {} ({}) {} in {took} ms",
        run.summary.id,
        run.summary.kind,
        run.summary.status.as_str()
    );
    println!(
        "  {:>3}  {:<24} {:<10} {:>8} {:>10} {:>9}",
        "seq", "step", "status", "attempts", "at (ms)", "took (ms)"
    );
    for s in &run.steps {
        let at = (s.started_at - run.summary.created_at).num_milliseconds();
        println!(
            "  {:>3}  {:<24} {:<10} {:>8} {:>10} {:>9}",
            s.seq, s.name, s.status, s.attempts, at, s.duration_ms
        );
    }
    for w in &run.waits {
        println!(
            "  wait {:?}: {} after {} ms, budget paused {} ms",
            w.signal,
            w.outcome.as_deref().unwrap_or("open"),
            w.ended_at
                .map(|e| (e - w.started_at).num_milliseconds())
                .unwrap_or(-1),
            w.paused_ms.unwrap_or(0)
        );
    }
    if let Some(spent) = run.budget_spent_ms {
        println!(
            "  budget spent {spent} ms of {} ms",
            run.budget_ms.unwrap_or(0)
        );
    }
    if let Some(out) = &run.output {
        println!("  output {out}");
    }
    if let Some(err) = &run.error {
        println!("  error {err}");
    }
}

/// Whether a run ended well.
pub(crate) fn succeeded(run: &RunDetail) -> bool {
    run.summary.status == RunStatus::Succeeded
}
