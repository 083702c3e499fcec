//! Queries on `embedding_usage`: what indexing and search asked of the embeddings provider.

use sqlx::PgExecutor;
use uuid::Uuid;

use crate::{
    docs::embed::Usage,
    error::{Result, db},
};

/// Why the provider was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A docs_index run embedded documents.
    Index,
    /// A docs_search call embedded its query.
    Search,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Index => "index",
            Purpose::Search => "search",
        }
    }
}

/// One usage row.
#[derive(Debug, Clone)]
pub struct NewUsage<'a> {
    /// The project billed.
    pub project_id: Uuid,
    /// The repository indexed (index rows).
    pub repository_id: Option<Uuid>,
    /// Why.
    pub purpose: Purpose,
    /// The docs_index run (index rows).
    pub workflow_run_id: Option<Uuid>,
    /// The agent run that searched (search rows).
    pub agent_run_id: Option<Uuid>,
    /// The model.
    pub model: &'a str,
    /// What it cost.
    pub usage: Usage,
}

/// Records one usage row.
pub async fn insert(e: impl PgExecutor<'_>, u: &NewUsage<'_>) -> Result<()> {
    sqlx::query(include_str!("../../../queries/embedding_usage/insert.sql"))
        .bind(u.project_id)
        .bind(u.repository_id)
        .bind(u.purpose.as_str())
        .bind(u.workflow_run_id)
        .bind(u.agent_run_id)
        .bind(u.model)
        .bind(i32::try_from(u.usage.requests).unwrap_or(i32::MAX))
        .bind(i32::try_from(u.usage.inputs).unwrap_or(i32::MAX))
        .bind(i64::try_from(u.usage.input_tokens).unwrap_or(i64::MAX))
        .execute(e)
        .await
        .map_err(db("embedding_usage::insert"))?;
    Ok(())
}
