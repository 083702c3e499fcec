//! The per-test bundle: a fresh database with project `acme` bound to `acme/shop`, the fake
//! GitHub holding its files, the fake embeddings provider, a platform configured for both and
//! a worker serving the docs queue.

use std::{sync::Arc, time::Duration};

use engine::{Metrics, RunDetail, Worker, WorkerConfig};
use sqlx::PgPool;
use testkit::{
    embeddings::FakeEmbeddings,
    github::{BOT_LOGIN, FakeGitHub},
};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::{
    docs::{ApiKey, DocsConfig, EmbeddingsConfig, IndexInput, IndexOutput, start_index},
    github::{ClientConfig, GitHubClient, Token},
    platform::{DOCS_QUEUE, Platform, PlatformConfig},
    policy::{Policy, PolicyConfig},
    runtime::{AgentCommand, LocalRuntime},
    store::directory::{self, NewProject},
};

/// The repository every test indexes.
pub(super) const REPO: &str = "acme/shop";

/// Embeddings settings for the fake, with short retry pauses.
pub(super) fn embeddings_config(fake: &FakeEmbeddings) -> EmbeddingsConfig {
    EmbeddingsConfig {
        batch_size: 16,
        initial_backoff: Duration::from_millis(5),
        request_timeout: Duration::from_secs(5),
        ..EmbeddingsConfig::new(
            fake.base_url(),
            "text-embedding-3-large",
            ApiKey::new(fake.api_key()),
        )
    }
}

pub(super) struct Bundle {
    pub(super) pool: PgPool,
    pub(super) github: FakeGitHub,
    pub(super) embeddings: FakeEmbeddings,
    pub(super) platform: Arc<Platform>,
    pub(super) client: engine::Client,
    pub(super) project_id: Uuid,
    pub(super) repository_id: Uuid,
    shutdown: CancellationToken,
    worker: tokio::task::JoinHandle<engine::Result<()>>,
}

/// A project with one bound repository; returns (project, repository).
pub(super) async fn bind(pool: &PgPool, slug: &str, repo: &str) -> (Uuid, Uuid) {
    let project = NewProject {
        slug,
        name: slug,
        locale: None,
        learning_mode_default: None,
        max_active_runs: 2,
    };
    let project_id = directory::upsert_project(pool, &project).await.unwrap();
    let repository_id = directory::bind_repository(pool, project_id, repo, "main")
        .await
        .unwrap();
    (project_id, repository_id)
}

pub(super) async fn start() -> Bundle {
    start_with(|c| c).await
}

pub(super) async fn start_with(tune: impl FnOnce(DocsConfig) -> DocsConfig) -> Bundle {
    crate::tls::install_crypto_provider();
    let pool = crate::test_pool::fresh().await;
    let github = FakeGitHub::start().await.unwrap();
    let embeddings = FakeEmbeddings::start().await.unwrap();
    let gh = ClientConfig {
        base_url: github.base_url().to_owned(),
        bot_login: Some(BOT_LOGIN.to_owned()),
        retry_backoff: Duration::from_millis(10),
        ..ClientConfig::new(
            Token::new(github.platform_token()),
            Token::new(github.bot_token()),
        )
    };
    let docs = tune(DocsConfig {
        embeddings: Some(embeddings_config(&embeddings)),
        files_per_step: 2,
        ..DocsConfig::default()
    });
    let config = PlatformConfig {
        docs,
        ..PlatformConfig::default()
    };
    let runtime = Arc::new(LocalRuntime::new(
        std::env::temp_dir().join("ck8s-docs-tests"),
        AgentCommand {
            program: "true".into(),
            args: Vec::new(),
            env: Vec::new(),
        },
        None,
    ));
    let policy = Policy::new(&PolicyConfig::default()).unwrap();
    let platform = Platform::new(
        pool.clone(),
        policy,
        Arc::new(GitHubClient::new(gh).unwrap()),
        config,
        runtime,
    );
    let client = engine::Client::new(pool.clone(), engine::ClientConfig::default());
    platform.set_client(client.clone());
    let (project_id, repository_id) = bind(&pool, "acme", REPO).await;
    let worker = Worker::new(
        pool.clone(),
        platform.registry().unwrap(),
        WorkerConfig {
            queues: vec![(DOCS_QUEUE.into(), 4)],
            poll_interval: Duration::from_millis(100),
            maintenance_interval: Duration::from_millis(100),
            shutdown_grace: Duration::from_secs(2),
            ..WorkerConfig::default()
        },
        Arc::new(Metrics::new()),
    )
    .unwrap();
    let shutdown = CancellationToken::new();
    let worker = tokio::spawn(worker.run(shutdown.clone()));
    Bundle {
        pool,
        github,
        embeddings,
        platform,
        client,
        project_id,
        repository_id,
        shutdown,
        worker,
    }
}

impl Bundle {
    /// Starts an indexing run of `repository_id` and waits until it ends.
    pub(super) async fn index_repository(&self, repository_id: Uuid) -> RunDetail {
        let input = IndexInput {
            repository_id,
            trigger: "manual".into(),
            head_sha: None,
        };
        let key = format!("test:{}", Uuid::new_v4());
        let run = start_index(&self.client, &self.pool, &input, key)
            .await
            .unwrap();
        self.finished(run.id).await
    }

    /// Indexes `acme/shop`; returns the run's output (the run must succeed).
    pub(super) async fn index(&self) -> IndexOutput {
        let run = self.index_repository(self.repository_id).await;
        assert_eq!(run.summary.status, engine::RunStatus::Succeeded, "{run:#?}");
        serde_json::from_value(run.output.unwrap()).unwrap()
    }

    /// Waits until a run ends.
    pub(super) async fn finished(&self, run_id: Uuid) -> RunDetail {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let run = self.client.get_run(run_id).await.unwrap();
            if run.summary.status.is_terminal() {
                return run;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "run not finished: {run:#?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `(path, chunk_index, blob_sha)` of every chunk of `acme/shop`, by path.
    pub(super) async fn chunks(&self) -> Vec<(String, i32, String)> {
        sqlx::query_as(
            "select path, chunk_index, blob_sha from doc_chunks where repository_id = $1 order by path, chunk_index",
        )
        .bind(self.repository_id)
        .fetch_all(&self.pool)
        .await
        .unwrap()
    }

    /// Blobs fetched from the fake GitHub so far.
    pub(super) fn blob_reads(&self) -> usize {
        let blobs = format!("/repos/{REPO}/git/blobs/");
        self.github
            .requests()
            .iter()
            .filter(|r| r.path.starts_with(&blobs))
            .count()
    }

    pub(super) async fn stop(self) {
        self.shutdown.cancel();
        self.worker.await.unwrap().unwrap();
        self.pool.close().await;
    }
}

/// A document of `sections` sections (`## Section n` with a paragraph about `topic` each).
pub(super) fn document(title: &str, topic: &str, sections: usize) -> String {
    let mut doc = format!("# {title}\n\nAbout {topic}.\n");
    for n in 1..=sections {
        doc.push_str(&format!(
            "\n## Section {n}\n\nHow {topic} works, part {n}: {topic} {topic} details.\n"
        ));
    }
    doc
}
