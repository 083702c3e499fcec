//! The indexing run of one repository, as checkpointed steps:
//! load the repository → list its documents (GitHub tree) → plan against the index → move the
//! chunks of renamed documents → per batch: fetch, chunk, embed and replace the changed documents
//! → delete the chunks of removed documents → record the counts. A repository unbound meanwhile
//! stops the run (`unbound` in its output) instead of failing its writes until the retries run out.
//!
//! Incremental by blob sha: an unchanged document costs nothing, a renamed one costs no embedding.
//! Every step's output is the run's progress in inspection (`Client::get_run`): documents listed,
//! the plan, then one `index_batch` per batch with its documents, chunks and embedding usage.

use std::sync::Arc;

use engine::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::{
    chunk::{Chunk, chunk},
    embed::{Embedded, Embedder, Usage},
    plan::{Plan, plan},
    source::{self, Listing},
    store::{
        doc_chunk::{self, InsertParams, NewChunk},
        embedding_usage::{self, NewUsage, Purpose},
    },
};
use crate::{
    error::db,
    github::{Failure, TreeFile},
    github_step::{self, CallError},
    platform::Platform,
    store::{directory, flow_event},
};

/// Input of an indexing run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexInput {
    /// The repository to index.
    pub repository_id: Uuid,
    /// What started it: `push`, `schedule` or `manual`.
    pub trigger: String,
    /// The pushed commit, for the record: the run reads the default branch as it is when it runs,
    /// so runs of pushes that arrive out of order still end at the newest content.
    #[serde(default)]
    pub head_sha: Option<String>,
}

/// What an indexing run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexOutput {
    /// `owner/name`; none when the repository is no longer bound.
    pub repository: Option<String>,
    /// Documents listed.
    pub documents: usize,
    /// Documents already indexed as they are.
    pub unchanged: usize,
    /// Documents that moved (their chunks were copied, nothing embedded).
    pub moved: usize,
    /// Documents fetched, chunked and embedded.
    pub embedded: usize,
    /// Documents whose chunks were removed (gone from the repository).
    pub deleted: usize,
    /// Documents left out (over the limits, or unreadable).
    pub skipped: usize,
    /// Chunks written (embedded or copied).
    pub chunks_written: u64,
    /// Chunks removed with deleted documents.
    pub chunks_deleted: u64,
    /// What the embeddings provider was asked.
    pub usage: Usage,
    /// The listing was whole (a truncated tree deletes nothing).
    pub complete: bool,
    /// The repository was unbound (or its project deleted) before or while it was indexed: the
    /// run stopped there, and its chunks went with the repository.
    #[serde(default)]
    pub unbound: bool,
}

/// The repository facts a run carries between steps.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Repo {
    id: Uuid,
    project_id: Uuid,
    full_name: String,
    default_branch: String,
}

/// What one batch did.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Batch {
    documents: usize,
    skipped: usize,
    chunks: u64,
    usage: Usage,
    /// The repository was gone when the chunks were written: nothing was.
    #[serde(default)]
    unbound: bool,
}

/// Indexes the documents of one repository.
pub struct DocsIndex {
    platform: Arc<Platform>,
}

impl DocsIndex {
    /// The workflow over the platform's services.
    pub fn new(platform: Arc<Platform>) -> Self {
        Self { platform }
    }
}

/// The text embedded for a chunk: where it is (path, headings), then the chunk itself.
pub fn embedding_input(path: &str, c: &Chunk) -> String {
    format!("{path}\n{}\n\n{}", c.heading_path.join(" > "), c.text)
}

impl Workflow for DocsIndex {
    const KIND: &'static str = "docs_index";
    type Input = IndexInput;
    type Output = IndexOutput;

    async fn run(
        &self,
        ctx: WorkflowContext,
        input: IndexInput,
    ) -> Result<IndexOutput, WorkflowError> {
        let p = &self.platform;
        let Some(embedder) = p.docs.embedder() else {
            return Err(WorkflowError::new(
                "not_configured",
                "no embeddings provider is configured",
            ));
        };
        let repo: Option<Repo> = ctx
            .step("load_repository", |_| async {
                let found = directory::get_repository(&p.pool, input.repository_id)
                    .await
                    .map_err(StepError::retryable)?;
                Ok(found.map(|r| Repo {
                    id: r.id,
                    project_id: r.project_id,
                    full_name: r.full_name,
                    default_branch: r.default_branch,
                }))
            })
            .await?;
        let Some(repo) = repo else {
            return Ok(IndexOutput {
                unbound: true,
                ..IndexOutput::default()
            });
        };
        let waits = p.config.github_rate_limit_waits;
        let listing: Listing = github_step::call(&ctx, "list_documents", waits, || async {
            let globs = p.docs.globs();
            let config = &p.config.docs;
            let git_ref = &repo.default_branch;
            Ok(source::list_documents(
                p.code_host.as_ref(),
                &repo.full_name,
                git_ref,
                globs,
                config,
            )
            .await?)
        })
        .await?;
        let model = embedder.model();
        let plan: Plan = ctx
            .step("plan", |_| async {
                let indexed = doc_chunk::list_files(&p.pool, repo.id)
                    .await
                    .map_err(StepError::retryable)?;
                Ok(plan(
                    &listing,
                    &indexed,
                    model,
                    p.config.docs.files_per_step,
                ))
            })
            .await?;
        tracing::info!(
            repository = %repo.full_name, documents = listing.files.len(), unchanged = plan.unchanged,
            moved = plan.moves.len(), to_embed = plan.to_embed(), deleted = plan.delete.len(),
            "docs index planned"
        );
        let mut out = IndexOutput {
            repository: Some(repo.full_name.clone()),
            documents: listing.files.len(),
            unchanged: plan.unchanged,
            moved: plan.moves.len(),
            deleted: plan.delete.len(),
            skipped: listing.skipped,
            complete: listing.complete,
            ..IndexOutput::default()
        };
        if !plan.moves.is_empty() {
            out.chunks_written += ctx
                .step("move_chunks", |_| move_chunks(p, &repo, model, &plan))
                .await?;
        }
        let run_id = ctx.run_id();
        for (n, files) in plan.batches.iter().enumerate() {
            let done: Batch = github_step::call(&ctx, "index_batch", waits, || {
                index_batch(p, embedder, run_id, &repo, files)
            })
            .await?;
            if done.unbound {
                tracing::info!(repository = %repo.full_name, "repository unbound while indexed: indexing stopped");
                out.unbound = true;
                out.usage.add(done.usage);
                break;
            }
            tracing::info!(
                repository = %repo.full_name, batch = n + 1, of = plan.batches.len(),
                documents = done.documents, chunks = done.chunks, "docs batch indexed"
            );
            out.embedded += done.documents;
            out.skipped += done.skipped;
            out.chunks_written += done.chunks;
            out.usage.add(done.usage);
        }
        if !plan.delete.is_empty() && !out.unbound {
            out.chunks_deleted = ctx
                .step("delete_removed", |_| async {
                    doc_chunk::delete_for_paths(&p.pool, repo.id, &plan.delete)
                        .await
                        .map_err(StepError::retryable)
                })
                .await?;
        }
        let record = out.clone();
        ctx.step("record_outcome", |_| async move {
            let detail =
                json!({ "trigger": input.trigger, "head_sha": input.head_sha, "outcome": record });
            flow_event::insert(&p.pool, Some(run_id), "docs_indexed", &detail)
                .await
                .map_err(StepError::retryable)
        })
        .await?;
        Ok(out)
    }
}

/// Copies the chunks of moved documents to their new paths (replacing whatever was there).
async fn move_chunks(
    p: &Platform,
    repo: &Repo,
    model: &str,
    plan: &Plan,
) -> Result<u64, StepError> {
    let to: Vec<String> = plan.moves.iter().map(|m| m.to.clone()).collect();
    let mut tx = p.pool.begin().await.map_err(StepError::retryable)?;
    doc_chunk::delete_for_paths(&mut *tx, repo.id, &to)
        .await
        .map_err(StepError::retryable)?;
    let copied = match doc_chunk::copy_many(&mut *tx, repo.id, model, &plan.moves).await {
        Ok(n) => n,
        // Unbound meanwhile: nothing to move (the next batch, if any, stops the run).
        Err(e) if doc_chunk::lost_its_repository(&e) => return Ok(0),
        Err(e) => return Err(StepError::retryable(e)),
    };
    tx.commit().await.map_err(StepError::retryable)?;
    Ok(copied)
}

/// Fetches, chunks and embeds the documents of one batch that are not indexed as they are yet
/// (a retried batch skips what an earlier attempt finished), then replaces their chunks and
/// records the usage in one transaction.
async fn index_batch(
    p: &Platform,
    embedder: &Embedder,
    run_id: Uuid,
    repo: &Repo,
    files: &[TreeFile],
) -> Result<Batch, CallError> {
    let model = embedder.model();
    let indexed = doc_chunk::list_files(&p.pool, repo.id).await?;
    let current = |f: &TreeFile| {
        indexed
            .iter()
            .any(|i| i.path == f.path && i.blob_sha == f.blob_sha && i.model == model)
    };
    let mut documents: Vec<(&TreeFile, Vec<Chunk>)> = Vec::new();
    let mut unreadable: Vec<String> = Vec::new();
    for file in files.iter().filter(|f| !current(f)) {
        match source::read_document(p.code_host.as_ref(), &repo.full_name, file).await {
            Ok(text) => documents.push((file, chunk(&text, &p.config.docs.chunk))),
            Err(e) if matches!(e.classify(), Failure::NotFound | Failure::Permanent) => {
                tracing::warn!(repository = %repo.full_name, path = %file.path, error.message = %e, "document skipped: unreadable");
                unreadable.push(file.path.clone());
            }
            Err(e) => return Err(e.into()),
        }
    }
    let inputs: Vec<String> = documents
        .iter()
        .flat_map(|(f, chunks)| chunks.iter().map(|c| embedding_input(&f.path, c)))
        .collect();
    let embedded = if inputs.is_empty() {
        Embedded {
            vectors: Vec::new(),
            usage: Usage::default(),
        }
    } else {
        embedder
            .embed(&inputs)
            .await
            .map_err(|e| CallError::Step(e.into_step_error()))?
    };
    let mut vectors = embedded.vectors.iter();
    let mut rows = Vec::with_capacity(inputs.len());
    for (file, chunks) in &documents {
        for (i, c) in chunks.iter().enumerate() {
            let Some(embedding) = vectors.next() else {
                break;
            };
            rows.push(NewChunk {
                path: &file.path,
                blob_sha: &file.blob_sha,
                heading_path: &c.heading_path,
                chunk_index: i as i32,
                text: &c.text,
                token_count: c.token_count as i32,
                embedding,
            });
        }
    }
    let mut replaced: Vec<String> = documents.iter().map(|(f, _)| f.path.clone()).collect();
    replaced.extend(unreadable.iter().cloned());
    let mut tx = p.pool.begin().await.map_err(db("docs batch begin"))?;
    doc_chunk::delete_for_paths(&mut *tx, repo.id, &replaced).await?;
    let params = InsertParams {
        project_id: repo.project_id,
        repository_id: repo.id,
        model,
        chunks: &rows,
    };
    let written = async {
        let chunks = doc_chunk::insert_many(&mut *tx, &params).await?;
        if embedded.usage.requests > 0 {
            let usage = NewUsage {
                project_id: repo.project_id,
                repository_id: Some(repo.id),
                purpose: Purpose::Index,
                workflow_run_id: Some(run_id),
                agent_run_id: None,
                model,
                usage: embedded.usage,
            };
            embedding_usage::insert(&mut *tx, &usage).await?;
        }
        Ok::<_, crate::Error>(chunks)
    }
    .await;
    let chunks = match written {
        Ok(chunks) => chunks,
        // Unbound (or its project deleted) after the run loaded it: the transaction rolls back,
        // and retrying would only fail the same way. What was embedded is still recorded against
        // the project while it exists.
        Err(e) if doc_chunk::lost_its_repository(&e) => {
            drop(tx);
            if embedded.usage.requests > 0 {
                let usage = NewUsage {
                    project_id: repo.project_id,
                    repository_id: None,
                    purpose: Purpose::Index,
                    workflow_run_id: Some(run_id),
                    agent_run_id: None,
                    model,
                    usage: embedded.usage,
                };
                if let Err(e) = embedding_usage::insert(&p.pool, &usage).await {
                    tracing::warn!(repository = %repo.full_name, error.message = %e, "usage of an unbound repository's batch not recorded");
                }
            }
            return Ok(Batch {
                unbound: true,
                usage: embedded.usage,
                ..Batch::default()
            });
        }
        Err(e) => return Err(e.into()),
    };
    tx.commit().await.map_err(db("docs batch commit"))?;
    Ok(Batch {
        documents: documents.len(),
        skipped: unreadable.len(),
        chunks,
        usage: embedded.usage,
        unbound: false,
    })
}
