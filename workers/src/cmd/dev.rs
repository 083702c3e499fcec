//! `codex-k8s dev`: the platform on one machine. Starts a throwaway Postgres (unless
//! `DATABASE_URL` is set), migrates, starts a worker, the API (webhook ingress) and, without
//! GitHub tokens, a local fake GitHub (and, without an embeddings key, a local fake embeddings
//! provider for docs search); runs the engine's sample workflow (steps, a durable sleep, a
//! pausing wait for a signal it then sends itself) printing progress and the step timeline; with
//! `--demo` it also posts a signed, recorded `issues.labeled` (`run:dev`) delivery to itself and
//! follows the stage run to its status comment.

use std::{sync::Arc, time::Duration};

use anyhow::{Context, bail};
use engine::{Metrics, RunStatus, StartOptions, Worker};
use serde_json::json;
use testkit::{
    embeddings::FakeEmbeddings,
    github::FakeGitHub,
    throwaway::{ThrowawayOptions, ThrowawayPg},
};
use tokio_util::sync::CancellationToken;
use workflows::github::{ClientConfig, Token};

use super::{codex_demo, demo, follow};
use crate::{
    api,
    config::{Config, DevArgs, Secret},
    database,
    health::Readiness,
    http, platform,
    sample::{APPROVAL_SIGNAL, SampleInput, SampleWorkflow},
};

/// Runs the sample (and the demo) to the end; with `--keep-running` serves until Ctrl-C.
pub async fn run(
    config: &Config,
    args: DevArgs,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    // Kept alive until the end of `run`: dropping it stops and deletes the throwaway server.
    let (pool, _throwaway) = match &config.database_url {
        Some(url) => {
            println!("postgres  DATABASE_URL");
            (database::connect_url(config, url.expose()).await?, None)
        }
        None => {
            let options = ThrowawayOptions {
                bindir: config.pg_bindir.clone(),
                ..ThrowawayOptions::default()
            };
            let pg = ThrowawayPg::start(options)
                .await
                .context("start a throwaway Postgres")?;
            println!(
                "postgres  throwaway server on 127.0.0.1:{} ({})",
                pg.port(),
                pg.bindir().display()
            );
            (database::connect_url(config, &pg.url()).await?, Some(pg))
        }
    };
    database::migrate(&pool).await?;
    println!("migrate   done");
    let fake = match &config.github_platform_token {
        Some(_) => None,
        None => Some(
            FakeGitHub::start()
                .await
                .context("start the local fake GitHub")?,
        ),
    };
    let github = match &fake {
        Some(f) => {
            println!("github    local fake GitHub on {}", f.base_url());
            let mut c = fake_github_config(f);
            c.bot_login = Some(config.github_bot_login.clone());
            c
        }
        None => platform::github_config(config)?,
    };
    // Bound first: agents reach the platform API at this address.
    let listener = http::bind(config.http_addr_or(crate::config::SERVE_ADDR)).await?;
    let api_base = format!("http://{}", listener.local_addr()?);
    let mut settings = config.clone();
    settings.platform_api_url = api_base.clone();
    // Without an embeddings key, docs search runs against a local fake provider (kept alive here).
    let _embeddings = match &config.embeddings_api_key {
        Some(_) => None,
        None => {
            let fake = FakeEmbeddings::start()
                .await
                .context("start the local fake embeddings provider")?;
            println!("embedder  local fake embeddings on {}", fake.base_url());
            settings.embeddings_url = fake.base_url();
            settings.embeddings_api_key =
                Some(fake.api_key().parse::<Secret>().expect("non-empty"));
            Some(fake)
        }
    };
    // With the codex CLI installed, the demo's agent is the real codex behind the agent runner.
    let (codex, agent) = match args.demo.then(codex_demo::find_codex).flatten() {
        Some(bin) => {
            println!(
                "codex     {} (agent runner, scripted local model)",
                bin.display()
            );
            let (demo, agent) = codex_demo::start(bin).await?;
            settings.approver_url = Some(demo.approver_url.clone());
            let made_up = || {
                Some(
                    uuid::Uuid::new_v4()
                        .simple()
                        .to_string()
                        .parse::<Secret>()
                        .expect("non-empty"),
                )
            };
            if settings.approver_secret.is_none() {
                settings.approver_secret = made_up();
            }
            if settings.callback_secret.is_none() {
                settings.callback_secret = made_up();
            }
            (Some(demo), Some(agent))
        }
        // The demo without codex shows the flow with the scripted stand-in, asked for here.
        None if args.demo => (None, Some(platform::this_binary("scripted-agent")?)),
        None => (None, None),
    };
    let wiring = platform::build_with(&settings, pool.clone(), github, agent).await?;
    workflows::retention::Retention::schedule(&wiring.client)
        .await
        .context("schedule retention")?;
    workflows::environment_sweep::EnvironmentSweep::schedule(&wiring.client)
        .await
        .context("schedule the environment sweep")?;
    platform::schedule_docs(&settings, &wiring).await?;
    let secret = config.github_webhook_secret.clone().unwrap_or_else(|| {
        uuid::Uuid::new_v4()
            .simple()
            .to_string()
            .parse::<Secret>()
            .expect("non-empty")
    });
    let metrics = Arc::new(Metrics::new());
    let stop = shutdown.child_token();
    let worker = Worker::new(
        pool.clone(),
        wiring.registry.clone(),
        config.worker_config(),
        metrics.clone(),
    )?;
    let readiness = Readiness::new(pool.clone(), Some(worker.health()));
    let monitor = readiness.spawn_monitor(stop.clone());
    let worker_task = tokio::spawn(worker.run(stop.clone()));
    let jwt = platform::jwt_keys(config, true)?;
    let vault = match platform::vault(config)? {
        Some(v) => v,
        None => {
            workflows::vault::Vault::parse(&workflows::vault::Vault::generate_entry("dev"), None)?
        }
    };
    let staff = platform::staff_state(&settings, pool.clone(), jwt.clone(), Some(vault))?;
    let state = api::AppState {
        staff,
        client: wiring.client.clone(),
        platform: wiring.platform.clone(),
        webhook_secret: secret.clone(),
        max_body_bytes: config.webhook_max_body_bytes,
        metrics: Some(metrics),
        readiness,
    };
    let http_task = tokio::spawn(http::serve_on(listener, api::app(state), stop.clone()));
    println!(
        "worker    serving {:?}; API on {api_base} (POST /api/v1/webhooks/github, /api/v1/staff, /livez, /readyz, /metrics)",
        config.worker_queues.0
    );
    print_staff_access(&pool, &jwt, &api_base).await?;

    let client = &wiring.client;
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
    let mut approve = |r: &engine::RunDetail| {
        (r.summary.status == RunStatus::Waiting)
            .then(|| (APPROVAL_SIGNAL.to_owned(), json!("codex-k8s dev")))
    };
    let sample = follow::follow(client, run.id, &shutdown, &mut approve).await?;
    follow::print_timeline(&sample);
    let mut ok = follow::succeeded(&sample);

    if args.demo {
        let fake = fake
            .as_ref()
            .context("--demo posts to the local fake GitHub: unset CK8S_GITHUB_PLATFORM_TOKEN")?;
        ok &= demo::run(&wiring, fake, &api_base, &secret, &shutdown, codex).await?;
    }
    if args.keep_running && !shutdown.is_cancelled() {
        println!("serving until Ctrl-C");
        shutdown.cancelled().await;
    }
    stop.cancel();
    worker_task.await.context("worker task")??;
    http_task.await.context("http task")??;
    monitor.await.context("readiness monitor task")?;
    if !ok {
        bail!("a dev run did not succeed");
    }
    Ok(())
}

/// GitHub client settings pointing at a local fake GitHub, with a short retry backoff.
pub fn fake_github_config(fake: &FakeGitHub) -> ClientConfig {
    ClientConfig {
        base_url: fake.base_url().to_owned(),
        bot_login: Some(testkit::github::BOT_LOGIN.to_owned()),
        retry_backoff: Duration::from_millis(10),
        ..ClientConfig::new(
            Token::new(fake.platform_token()),
            Token::new(fake.bot_token()),
        )
    }
}

/// The local owner `dev` creates, so a newcomer can call the staff API at once.
pub const DEV_OWNER_EMAIL: &str = "owner@codex-k8s.local";

/// Creates (or finds) the local owner and prints a ready `curl` line with a staff token.
async fn print_staff_access(
    pool: &sqlx::PgPool,
    jwt: &api::staff::jwt::JwtKeys,
    api_base: &str,
) -> anyhow::Result<()> {
    use workflows::directory::{self, DirectoryError, Email};
    let email = Email::parse(DEV_OWNER_EMAIL)?;
    let owner = match directory::bootstrap(pool, &email, None).await {
        Ok(owner) => owner,
        Err(DirectoryError::Conflict { .. }) => {
            println!(
                "staff     this database has another platform owner: mint a token with `codex-k8s admin token --user <email>`"
            );
            return Ok(());
        }
        Err(e) => return Err(e).context("create the local owner"),
    };
    println!(
        "staff     local owner {} (token valid {} s):\n          curl -H 'Authorization: Bearer {}' {api_base}/api/v1/staff/me",
        owner.email,
        jwt.ttl().as_secs(),
        jwt.issue(owner.id)
    );
    Ok(())
}
