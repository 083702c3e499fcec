//! `docs`: docs search on pgvector. On 50,000 chunks (5,000 with `--quick`) of a synthetic
//! topical corpus embedded by the fake provider's hash projection (3,072 dimensions): the HNSW
//! build time and size of the halfvec expression index, recall@10 of the approximate query
//! (`tune_search` + `search`, the production path) against the exact full-precision scan at
//! several `ef_search`, and p50/p99 latency of both. Then the cost of re-indexing when one of
//! 100 documents changes, through the real pipeline (docs_index workflow, fake GitHub and fake
//! embeddings over HTTP).

use std::{
    collections::HashSet,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use sqlx::PgPool;
use testkit::{embeddings::FakeEmbeddings, github::FakeGitHub};
use uuid::Uuid;
use workers::cmd::dev::fake_github_config;
use workflows::{
    docs::{
        ApiKey, DIMENSIONS, DocsConfig, EmbeddingsConfig, IndexInput, IndexOutput, start_index,
        store::doc_chunk::{self, Hit, InsertParams, NewChunk, SearchParams},
    },
    github::GitHubClient,
    platform::{DOCS_QUEUE, Platform, PlatformConfig},
    policy::{Policy, PolicyConfig},
    runtime::{AgentCommand, LocalRuntime},
    store::directory::{self, NewProject},
};

use crate::{
    Settings,
    docs_corpus::Corpus,
    engine_side::RunningWorker,
    measure::{percentiles, round3},
    server::Server,
};

/// The `ef_search` values measured; the configured default is one of them.
const EF_SEARCH: [u32; 5] = [40, 64, 100, 200, 400];
/// Nearest neighbours compared.
const K: i64 = 10;
/// The index as the migration creates it, but for its `with (…)` (see [`index_options`]).
const CREATE_INDEX: &str = "create index doc_chunks_embedding on doc_chunks \
     using hnsw ((embedding::halfvec(3072)) halfvec_cosine_ops)";

/// Runs the workload and returns its JSON line.
pub(crate) async fn run(server: &Server, settings: Settings) -> Result<Value> {
    let (files, per_file, queries) = if settings.quick {
        (50, 100, 100)
    } else {
        (500, 100, 300)
    };
    let pool = server.engine_db("docs_search", 8).await?;
    let corpus = Corpus::new(12, 200);
    let project = bind(&pool, "bench", "bench/docs").await?;
    sqlx::query("drop index doc_chunks_embedding")
        .execute(&pool)
        .await?;
    let t = Instant::now();
    load(&pool, &corpus, project, files, per_file).await?;
    let load_s = t.elapsed().as_secs_f64();
    let chunks = files * per_file;
    eprintln!("  loaded {chunks} chunks in {load_s:.1} s");
    let with = index_options(settings.docs_hnsw);
    let (build_s, index_bytes, table_bytes) = build_index(&pool, &with).await?;
    eprintln!(
        "  hnsw build {build_s:.1} s, index {:.0} MiB, table {:.0} MiB",
        index_bytes as f64 / 1048576.0,
        table_bytes as f64 / 1048576.0
    );
    let embeddings: Vec<Vec<f32>> = (0..queries)
        .map(|n| testkit::embeddings::embed(&corpus.query(n, files, per_file), DIMENSIONS))
        .collect();
    let mut exact = Vec::with_capacity(queries);
    let mut exact_times = Vec::with_capacity(queries);
    for e in &embeddings {
        let t = Instant::now();
        exact.push(doc_chunk::search_exact(&pool, &params(project.0, e)).await?);
        exact_times.push(t.elapsed());
    }
    let (exact_p50, exact_p99) = percentiles(exact_times);
    eprintln!("  exact: p50 {exact_p50:.1} ms p99 {exact_p99:.1} ms");
    let mut per_ef = Vec::new();
    for ef in EF_SEARCH {
        let mut times = Vec::with_capacity(queries);
        let mut found = 0usize;
        for (e, truth) in embeddings.iter().zip(&exact) {
            let t = Instant::now();
            let hits = approximate(&pool, project.0, e, ef).await?;
            times.push(t.elapsed());
            found += overlap(&hits, truth);
        }
        let recall = found as f64 / (queries as f64 * K as f64);
        let (p50, p99) = percentiles(times);
        let uses_index = plan_uses_index(&pool, project.0, ef).await?;
        eprintln!(
            "  ef_search {ef}: recall@10 {recall:.3}, p50 {p50:.1} ms p99 {p99:.1} ms, hnsw plan {uses_index}"
        );
        per_ef.push(json!({
            "ef_search": ef, "recall_at_10": round3(recall),
            "p50_ms": round3(p50), "p99_ms": round3(p99), "planner_uses_hnsw": uses_index,
        }));
    }
    pool.close().await;
    let reindex = reindex(server).await?;
    Ok(json!({
        "chunks": chunks,
        "queries": queries,
        "dimensions": DIMENSIONS,
        "load_s": round3(load_s),
        "index_build_s": round3(build_s),
        "index_with": with,
        "index_mib": round3(index_bytes as f64 / 1048576.0),
        "table_mib": round3(table_bytes as f64 / 1048576.0),
        "exact_p50_ms": round3(exact_p50),
        "exact_p99_ms": round3(exact_p99),
        "hnsw": per_ef,
        "default_ef_search": DocsConfig::default().ef_search,
        "reindex": reindex,
    }))
}

fn params(project_id: Uuid, embedding: &[f32]) -> SearchParams<'_> {
    SearchParams {
        project_id,
        embedding,
        limit: K,
    }
}

/// How many of `truth` (exact top K) the approximate hits found.
fn overlap(hits: &[Hit], truth: &[Hit]) -> usize {
    let truth: HashSet<(&str, i32)> = truth
        .iter()
        .map(|h| (h.path.as_str(), h.chunk_index))
        .collect();
    hits.iter()
        .filter(|h| truth.contains(&(h.path.as_str(), h.chunk_index)))
        .count()
}

/// The production query: `tune_search` then `search`, in one transaction.
async fn approximate(pool: &PgPool, project: Uuid, e: &[f32], ef: u32) -> Result<Vec<Hit>> {
    let mut tx = pool.begin().await?;
    doc_chunk::tune_search(&mut *tx, ef).await?;
    let hits = doc_chunk::search(&mut *tx, &params(project, e)).await?;
    tx.commit().await?;
    Ok(hits)
}

/// A project with one bound repository: (project, repository).
async fn bind(pool: &PgPool, slug: &str, repo: &str) -> Result<(Uuid, Uuid)> {
    let project = NewProject {
        slug,
        name: slug,
        locale: None,
        learning_mode_default: None,
        max_active_runs: 1,
    };
    let project_id = directory::upsert_project(pool, &project).await?;
    let repository_id = directory::bind_repository(pool, project_id, repo, "main").await?;
    Ok((project_id, repository_id))
}

/// One generated chunk.
struct Row {
    path: String,
    headings: Vec<String>,
    index: i32,
    text: String,
    embedding: Vec<f32>,
}

/// Inserts `files × per_file` chunks through the store, 250 rows a statement.
async fn load(
    pool: &PgPool,
    corpus: &Corpus,
    repo: (Uuid, Uuid),
    files: usize,
    per_file: usize,
) -> Result<()> {
    let mut rows: Vec<Row> = Vec::new();
    for file in 0..files {
        for chunk in 0..per_file {
            let text = corpus.chunk(file, chunk);
            rows.push(Row {
                path: format!("docs/{file}.md"),
                headings: vec![format!("Document {file}"), format!("Section {chunk}")],
                index: chunk as i32,
                embedding: testkit::embeddings::embed(&text, DIMENSIONS),
                text,
            });
            if rows.len() == 250 {
                insert(pool, repo, &rows).await?;
                rows.clear();
            }
        }
    }
    insert(pool, repo, &rows).await
}

async fn insert(
    pool: &PgPool,
    (project_id, repository_id): (Uuid, Uuid),
    rows: &[Row],
) -> Result<()> {
    let sha = "0".repeat(40);
    let chunks: Vec<NewChunk<'_>> = rows
        .iter()
        .map(|r| NewChunk {
            path: &r.path,
            blob_sha: &sha,
            heading_path: &r.headings,
            chunk_index: r.index,
            text: &r.text,
            token_count: workflows::docs::chunk::estimate_tokens(&r.text) as i32,
            embedding: &r.embedding,
        })
        .collect();
    let params = InsertParams {
        project_id,
        repository_id,
        model: "bench-hash-projection",
        chunks: &chunks,
    };
    doc_chunk::insert_many(pool, &params)
        .await
        .context("insert chunks")?;
    Ok(())
}

/// The index's `with (…)` clause: the migration's parameters unless others are given.
fn index_options((m, ef_construction): (Option<u32>, Option<u32>)) -> String {
    let (m, ef) = (m.unwrap_or(24), ef_construction.unwrap_or(128));
    format!(" with (m = {m}, ef_construction = {ef})")
}

/// Builds the HNSW index as the migration does (or with `with`); returns (seconds, index
/// bytes, table bytes).
async fn build_index(pool: &PgPool, with: &str) -> Result<(f64, i64, i64)> {
    let mut conn = pool.acquire().await?;
    for set in [
        "set statement_timeout = 0",
        "set maintenance_work_mem = '4GB'",
    ] {
        sqlx::query(set).execute(&mut *conn).await?;
    }
    let t = Instant::now();
    sqlx::query(sqlx::AssertSqlSafe(format!("{CREATE_INDEX}{with}")))
        .execute(&mut *conn)
        .await
        .context("build the hnsw index")?;
    let build = t.elapsed().as_secs_f64();
    sqlx::query("analyze doc_chunks")
        .execute(&mut *conn)
        .await?;
    let (index, table): (i64, i64) = sqlx::query_as(
        "select pg_relation_size('doc_chunks_embedding'), pg_total_relation_size('doc_chunks')",
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok((build, index, table))
}

/// Whether the planner serves the production query from the HNSW index at `ef` (it must, on
/// a large table; on a small one an exact scan can be cheaper).
async fn plan_uses_index(pool: &PgPool, project: Uuid, ef: u32) -> Result<bool> {
    let sql = format!(
        "explain (costs off) {}",
        include_str!("../../../../workflows/queries/doc_chunks/search.sql")
    );
    let probe = testkit::embeddings::embed("probe", DIMENSIONS);
    let mut tx = pool.begin().await?;
    doc_chunk::tune_search(&mut *tx, ef).await?;
    let plan: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(project)
        .bind(pgvector_literal(&probe))
        .bind(K)
        .fetch_all(&mut *tx)
        .await?;
    tx.rollback().await?;
    Ok(plan
        .iter()
        .any(|l| l.contains("Index Scan using doc_chunks_embedding")))
}

/// A `vector` text literal (the bench has no direct pgvector dependency; Postgres casts it).
fn pgvector_literal(v: &[f32]) -> String {
    let parts: Vec<String> = v.iter().map(|x| x.to_string()).collect();
    format!("[{}]", parts.join(","))
}

/// Re-index cost when 1 of 100 documents changes, through the real pipeline.
async fn reindex(server: &Server) -> Result<Value> {
    let pool = server.engine_db("docs_reindex", 12).await?;
    let github = FakeGitHub::start().await.context("fake github")?;
    let embeddings = FakeEmbeddings::start().await.context("fake embeddings")?;
    let corpus = Corpus::new(7, 50);
    let repo = "bench/handbook";
    for file in 0..100 {
        github.put_file(
            repo,
            &format!("docs/{file}.md"),
            &corpus.markdown(file, 10, 0),
        );
    }
    let docs = DocsConfig {
        embeddings: Some(EmbeddingsConfig::new(
            embeddings.base_url(),
            "bench-hash-projection",
            ApiKey::new(embeddings.api_key()),
        )),
        ..DocsConfig::default()
    };
    let platform = Platform::new(
        pool.clone(),
        Policy::new(&PolicyConfig::default())?,
        Arc::new(GitHubClient::new(fake_github_config(&github))?),
        PlatformConfig {
            docs,
            ..PlatformConfig::default()
        },
        Arc::new(LocalRuntime::new(
            std::env::temp_dir().join("ck8s-bench-docs"),
            AgentCommand {
                program: "true".into(),
                args: Vec::new(),
                env: Vec::new(),
            },
            None,
        )),
    );
    let client = engine::Client::new(pool.clone(), engine::ClientConfig::default());
    platform.set_client(client.clone());
    let (_, repository_id) = bind(&pool, "handbook", repo).await?;
    let config = engine::WorkerConfig {
        queues: vec![(DOCS_QUEUE.into(), 2)],
        poll_interval: Duration::from_millis(50),
        shutdown_grace: Duration::from_secs(2),
        ..engine::WorkerConfig::default()
    };
    let worker = RunningWorker::spawn(&pool, platform.registry()?, config)?;
    let mut rounds = Vec::new();
    for (name, change) in [("full", false), ("one_changed", true), ("unchanged", false)] {
        if change {
            github.put_file(repo, "docs/42.md", &corpus.markdown(42, 10, 1));
        }
        let (requests, embedded) = (github.requests().len(), embeddings.embedded());
        let t = Instant::now();
        let out = index(&client, &pool, repository_id).await?;
        let elapsed = t.elapsed().as_secs_f64();
        let calls = &github.requests()[requests..];
        let blobs = calls
            .iter()
            .filter(|r| r.path.contains("/git/blobs/"))
            .count();
        eprintln!(
            "  reindex {name}: {elapsed:.2} s, {} embedded, {blobs} blobs, {} GitHub calls",
            embeddings.embedded() - embedded,
            calls.len()
        );
        rounds.push(json!({
            "round": name,
            "seconds": round3(elapsed),
            "texts_embedded": embeddings.embedded() - embedded,
            "embedding_requests": out.usage.requests,
            "github_calls": calls.len(),
            "blobs_fetched": blobs,
            "documents_embedded": out.embedded,
            "documents_unchanged": out.unchanged,
            "chunks_written": out.chunks_written,
        }));
    }
    worker.stop().await?;
    pool.close().await;
    Ok(json!({ "documents": 100, "sections_per_document": 10, "rounds": rounds }))
}

async fn index(client: &engine::Client, pool: &PgPool, repository_id: Uuid) -> Result<IndexOutput> {
    let input = IndexInput {
        repository_id,
        trigger: "manual".into(),
        head_sha: None,
    };
    let run = start_index(client, pool, &input, Uuid::new_v4().to_string()).await?;
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let detail = client.get_run(run.id).await?;
        if detail.summary.status.is_terminal() {
            if detail.summary.status != engine::RunStatus::Succeeded {
                bail!(
                    "indexing run {} ended {:?}: {:?}",
                    run.id,
                    detail.summary.status,
                    detail.error
                );
            }
            return Ok(serde_json::from_value(detail.output.unwrap_or_default())?);
        }
        if Instant::now() > deadline {
            bail!("indexing run {} did not finish in 600 s", run.id);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
