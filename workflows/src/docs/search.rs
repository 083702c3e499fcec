//! `docs_search`: a query embedded, then the nearest chunks of the caller's own project through
//! the halfvec HNSW index; the query's embedding cost is recorded.

use serde_json::{Value, json};

use super::{
    error::{Error, Result},
    store::{
        doc_chunk::{self, SearchParams},
        embedding_usage::{self, NewUsage, Purpose},
    },
};
use crate::{error::db, platform::Platform, store::agent_run::AgentRun};

/// Longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 2000;
/// Most chunks one search returns.
pub const MAX_TOP_K: usize = 20;

/// The `top_k` chunks of `run`'s project nearest to `query`, nearest first, as the tool's
/// result: `{ query, model, results: [{ repository, path, heading_path, chunk_index, text,
/// score, blob_sha }] }`.
pub async fn search(p: &Platform, run: &AgentRun, query: &str, top_k: usize) -> Result<Value> {
    let query = query.trim();
    if query.is_empty() || query.chars().count() > MAX_QUERY_CHARS {
        return Err(Error::Invalid {
            field: "query",
            reason: format!("must be 1..{MAX_QUERY_CHARS} characters"),
        });
    }
    if !(1..=MAX_TOP_K).contains(&top_k) {
        return Err(Error::Invalid {
            field: "top_k",
            reason: format!("must be 1..{MAX_TOP_K}"),
        });
    }
    let embedder = p.docs.embedder().ok_or(Error::NotConfigured)?;
    let embedded = embedder.embed(&[query.to_owned()]).await?;
    let Some(embedding) = embedded.vectors.first() else {
        return Err(Error::EmbeddingsBadAnswer("no vector for the query".into()));
    };
    let params = SearchParams {
        project_id: run.project_id,
        embedding,
        limit: top_k as i64,
    };
    let mut tx = p.pool.begin().await.map_err(db("docs search begin"))?;
    doc_chunk::tune_search(&mut *tx, p.config.docs.ef_search).await?;
    let hits = doc_chunk::search(&mut *tx, &params).await?;
    let usage = NewUsage {
        project_id: run.project_id,
        repository_id: None,
        purpose: Purpose::Search,
        workflow_run_id: None,
        agent_run_id: Some(run.id),
        model: embedder.model(),
        usage: embedded.usage,
    };
    embedding_usage::insert(&mut *tx, &usage).await?;
    tx.commit().await.map_err(db("docs search commit"))?;
    Ok(json!({
        "query": query,
        "model": embedder.model(),
        "results": hits,
    }))
}
