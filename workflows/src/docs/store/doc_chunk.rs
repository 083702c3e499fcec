//! Queries on `doc_chunks`: a repository's indexed documents, replacing and moving their chunks,
//! and nearest-neighbour search (approximate through the halfvec HNSW index, or exact).

use pgvector::Vector;
use serde::Serialize;
use serde_json::Value;
use sqlx::{PgExecutor, Row, postgres::PgRow};
use uuid::Uuid;

use crate::error::{Result, db};

/// A document as indexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedFile {
    /// Its path.
    pub path: String,
    /// The blob its chunks came from.
    pub blob_sha: String,
    /// The model that embedded them.
    pub model: String,
    /// How many chunks.
    pub chunks: i32,
}

/// The documents of a repository as indexed, by path.
pub async fn list_files(e: impl PgExecutor<'_>, repository_id: Uuid) -> Result<Vec<IndexedFile>> {
    let rows = sqlx::query(include_str!("../../../queries/doc_chunks/list_files.sql"))
        .bind(repository_id)
        .fetch_all(e)
        .await
        .map_err(db("doc_chunk::list_files"))?;
    Ok(rows
        .iter()
        .map(|r| IndexedFile {
            path: r.get("path"),
            blob_sha: r.get("blob_sha"),
            model: r.get("model"),
            chunks: r.get("chunks"),
        })
        .collect())
}

/// One chunk to insert.
#[derive(Debug, Clone)]
pub struct NewChunk<'a> {
    /// Its document.
    pub path: &'a str,
    /// The document's blob.
    pub blob_sha: &'a str,
    /// Enclosing heading titles, outermost first.
    pub heading_path: &'a [String],
    /// Position in the document.
    pub chunk_index: i32,
    /// The text.
    pub text: &'a str,
    /// Its estimated tokens.
    pub token_count: i32,
    /// Its embedding (3,072 values).
    pub embedding: &'a [f32],
}

/// Chunks of one repository to insert.
#[derive(Debug, Clone)]
pub struct InsertParams<'a> {
    /// The project.
    pub project_id: Uuid,
    /// The repository.
    pub repository_id: Uuid,
    /// The model of every embedding.
    pub model: &'a str,
    /// The chunks.
    pub chunks: &'a [NewChunk<'a>],
}

/// Inserts chunks in one statement; returns how many.
pub async fn insert_many(e: impl PgExecutor<'_>, p: &InsertParams<'_>) -> Result<u64> {
    let c = p.chunks;
    let headings: Vec<Value> = c
        .iter()
        .map(|c| Value::from(c.heading_path.to_vec()))
        .collect();
    let done = sqlx::query(include_str!("../../../queries/doc_chunks/insert_many.sql"))
        .bind(p.project_id)
        .bind(p.repository_id)
        .bind(p.model)
        .bind(c.iter().map(|c| c.path).collect::<Vec<_>>())
        .bind(c.iter().map(|c| c.blob_sha).collect::<Vec<_>>())
        .bind(headings)
        .bind(c.iter().map(|c| c.chunk_index).collect::<Vec<_>>())
        .bind(c.iter().map(|c| c.text).collect::<Vec<_>>())
        .bind(c.iter().map(|c| c.token_count).collect::<Vec<_>>())
        .bind(
            c.iter()
                .map(|c| Vector::from(c.embedding.to_vec()))
                .collect::<Vec<_>>(),
        )
        .execute(e)
        .await
        .map_err(db("doc_chunk::insert_many"))?;
    Ok(done.rows_affected())
}

/// Whether writing chunks or their usage failed because the repository or its project is gone
/// (unbound or deleted while it was indexed), by the foreign keys' names.
pub fn lost_its_repository(e: &crate::Error) -> bool {
    matches!(
        e.constraint(),
        Some(
            "doc_chunks_repository_id_fkey"
                | "doc_chunks_project_id_fkey"
                | "embedding_usage_repository_id_fkey"
                | "embedding_usage_project_id_fkey"
        )
    )
}

/// Deletes every chunk of these documents; returns how many.
pub async fn delete_for_paths(
    e: impl PgExecutor<'_>,
    repository_id: Uuid,
    paths: &[String],
) -> Result<u64> {
    let done = sqlx::query(include_str!(
        "../../../queries/doc_chunks/delete_for_paths.sql"
    ))
    .bind(repository_id)
    .bind(paths)
    .execute(e)
    .await
    .map_err(db("doc_chunk::delete_for_paths"))?;
    Ok(done.rows_affected())
}

/// A document that moved: same blob, new path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Move {
    /// Where its chunks are.
    pub from: String,
    /// Where the document is now.
    pub to: String,
    /// Its blob.
    pub blob_sha: String,
}

/// Copies the chunks (embeddings included) of each move's old path to its new one, for
/// `model`'s chunks only; the new paths must hold no chunks. Returns the chunks copied.
pub async fn copy_many(
    e: impl PgExecutor<'_>,
    repository_id: Uuid,
    model: &str,
    moves: &[Move],
) -> Result<u64> {
    let done = sqlx::query(include_str!("../../../queries/doc_chunks/copy_many.sql"))
        .bind(repository_id)
        .bind(moves.iter().map(|m| m.from.as_str()).collect::<Vec<_>>())
        .bind(moves.iter().map(|m| m.to.as_str()).collect::<Vec<_>>())
        .bind(
            moves
                .iter()
                .map(|m| m.blob_sha.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(model)
        .execute(e)
        .await
        .map_err(db("doc_chunk::copy_many"))?;
    Ok(done.rows_affected())
}

/// A nearest-neighbour search of one project.
#[derive(Debug, Clone)]
pub struct SearchParams<'a> {
    /// Only this project's chunks.
    pub project_id: Uuid,
    /// The query's embedding.
    pub embedding: &'a [f32],
    /// Most chunks returned.
    pub limit: i64,
}

/// One chunk found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// The repository (`owner/name`).
    pub repository: String,
    /// The document.
    pub path: String,
    /// Enclosing heading titles, outermost first.
    pub heading_path: Vec<String>,
    /// Position in the document.
    pub chunk_index: i32,
    /// The chunk.
    pub text: String,
    /// The document's blob.
    pub blob_sha: String,
    /// Cosine similarity to the query (1 is identical).
    pub score: f64,
}

fn hit(r: &PgRow) -> Hit {
    Hit {
        repository: r.get("repository"),
        path: r.get("path"),
        heading_path: r.get("heading_path"),
        chunk_index: r.get("chunk_index"),
        text: r.get("text"),
        blob_sha: r.get("blob_sha"),
        score: r.get("score"),
    }
}

/// Sets `hnsw.ef_search`, an iterative scan and no sequential scan for the rest of the
/// transaction `e` runs in.
pub async fn tune_search(e: impl PgExecutor<'_>, ef_search: u32) -> Result<()> {
    sqlx::query(include_str!("../../../queries/doc_chunks/tune_search.sql"))
        .bind(ef_search.to_string())
        .execute(e)
        .await
        .map_err(db("doc_chunk::tune_search"))?;
    Ok(())
}

/// The project's chunks nearest to the embedding, approximately (HNSW over halfvec), nearest
/// first; call [`tune_search`] first in the same transaction.
pub async fn search(e: impl PgExecutor<'_>, p: &SearchParams<'_>) -> Result<Vec<Hit>> {
    let rows = sqlx::query(include_str!("../../../queries/doc_chunks/search.sql"))
        .bind(p.project_id)
        .bind(Vector::from(p.embedding.to_vec()))
        .bind(p.limit)
        .fetch_all(e)
        .await
        .map_err(db("doc_chunk::search"))?;
    Ok(rows.iter().map(hit).collect())
}

/// The same search done exactly over full precision (a scan of the project's chunks).
pub async fn search_exact(e: impl PgExecutor<'_>, p: &SearchParams<'_>) -> Result<Vec<Hit>> {
    let rows = sqlx::query(include_str!("../../../queries/doc_chunks/search_exact.sql"))
        .bind(p.project_id)
        .bind(Vector::from(p.embedding.to_vec()))
        .bind(p.limit)
        .fetch_all(e)
        .await
        .map_err(db("doc_chunk::search_exact"))?;
    Ok(rows.iter().map(hit).collect())
}
