//! `codex-k8s dev`: the platform on one machine. Starts a throwaway Postgres (unless
//! `DATABASE_URL` is set), migrates, starts a worker and the ops server, runs the sample workflow
//! (steps, a durable sleep, a pausing wait for a signal that `dev` then sends itself), prints
//! progress as it goes and the run's step timeline at the end.

use std::{collections::HashSet, sync::Arc, time::Duration};

use anyhow::{Context, bail};
use engine::{Client, ClientConfig, Metrics, RunDetail, RunStatus, StartOptions, Worker};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::{
    cmd::worker::registry,
    config::{Config, DevArgs},
    database, http,
    sample::{APPROVAL_SIGNAL, SampleInput, SampleWorkflow},
};

/// Runs the sample to its end (and keeps serving with `--keep-running`).
pub async fn run(
    config: &Config,
    args: DevArgs,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let db = database::connect(config, true).await?;
    match &db.throwaway {
        Some(pg) => println!(
            "postgres  throwaway server on 127.0.0.1:{} ({})",
            pg.port(),
            pg.bindir().display()
        ),
        None => println!("postgres  DATABASE_URL"),
    }
    database::migrate(&db.pool).await?;
    println!("migrate   done");
    let metrics = Arc::new(Metrics::new());
    let stop = shutdown.child_token();
    let worker = Worker::new(
        db.pool.clone(),
        registry(),
        config.worker_config(),
        metrics.clone(),
    )?;
    let worker_task = tokio::spawn(worker.run(stop.clone()));
    let http_task = tokio::spawn(http::serve(
        config.http_addr,
        http::ops_router(metrics),
        stop.clone(),
    ));
    println!(
        "worker    serving {:?}; ops server on http://{}",
        config.worker_queues.0, config.http_addr
    );

    let client = Client::new(db.pool.clone(), registry(), ClientConfig::default());
    let options = StartOptions {
        budget: Some(Duration::from_secs(30)),
        ..StartOptions::default()
    };
    let run = client
        .start::<SampleWorkflow>(
            &SampleInput {
                name: "codex-k8s".into(),
            },
            options,
        )
        .await?;
    println!(
        "start     run {} ({}), budget 30 s",
        run.id,
        <SampleWorkflow as engine::Workflow>::KIND
    );
    let finished = follow(&client, run.id, &shutdown).await?;
    print_timeline(&finished);

    if args.keep_running && !shutdown.is_cancelled() {
        println!("serving until Ctrl-C");
        shutdown.cancelled().await;
    }
    stop.cancel();
    worker_task.await.context("worker task")??;
    http_task.await.context("http task")??;
    if finished.summary.status != RunStatus::Succeeded {
        bail!("the sample run ended {:?}", finished.summary.status);
    }
    Ok(())
}

/// Prints each new event of the run, sends the approval when the run waits for it, and returns the
/// finished run.
async fn follow(
    client: &Client,
    run_id: uuid::Uuid,
    shutdown: &CancellationToken,
) -> anyhow::Result<RunDetail> {
    let mut printed = 0usize;
    let mut approved = false;
    let mut seen_status = HashSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
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
        if run.summary.status == RunStatus::Waiting && !approved {
            println!("signal    sending {APPROVAL_SIGNAL:?} to the waiting run");
            client
                .signal(
                    run_id,
                    APPROVAL_SIGNAL,
                    json!("codex-k8s dev"),
                    Some("dev-approval"),
                )
                .await?;
            approved = true;
        }
        if shutdown.is_cancelled() || tokio::time::Instant::now() > deadline {
            bail!("the sample run did not finish");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn print_timeline(run: &RunDetail) {
    println!();
    println!(
        "run {} {} in {} ms",
        run.summary.id,
        run.summary.status.as_str(),
        run.summary
            .finished_at
            .map(|f| (f - run.summary.created_at).num_milliseconds())
            .unwrap_or(-1)
    );
    println!(
        "  {:>3}  {:<16} {:<10} {:>8} {:>10} {:>9}",
        "seq", "step", "status", "attempts", "at (ms)", "took (ms)"
    );
    for s in &run.steps {
        let at = (s.started_at - run.summary.created_at).num_milliseconds();
        println!(
            "  {:>3}  {:<16} {:<10} {:>8} {:>10} {:>9}",
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
}
