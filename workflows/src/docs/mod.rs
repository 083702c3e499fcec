//! Project docs search: the markdown documents of every bound repository (README, `docs/`,
//! ADRs; configurable globs) cut into chunks along their headings, embedded by an
//! OpenAI-compatible provider into `doc_chunks` (`vector(3072)`, an HNSW index over its halfvec
//! cast), kept current incrementally by blob sha, and searched by the MCP `docs_search` tool
//! within the caller's project.
//!
//! Indexing is the [`DocsIndex`] workflow (one repository per run), started on a push to the
//! default branch (routing) and by the [`DocsSweep`] cron schedule. Documents are read through
//! [`source`], the one seam to the repository (GitHub's API today). See ADR 0015.

pub mod chunk;
mod config;
pub mod embed;
mod error;
mod index;
pub mod plan;
mod search;
pub mod source;
pub mod store;
mod sweep;

pub use config::{DEFAULT_GLOBS, DocGlobs, DocsConfig};
pub use embed::{ApiKey, DIMENSIONS, Embedder, EmbeddingsConfig, Usage};
pub use error::{Error, Result};
pub use index::{DocsIndex, IndexInput, IndexOutput, embedding_input};
pub use search::{MAX_QUERY_CHARS, MAX_TOP_K, search};
pub use sweep::{DocsSweep, SWEEP_SCHEDULE, SweepInput, SweepOutput, schedule, start_index};

#[cfg(test)]
mod tests;

/// The docs services of the platform: the embeddings client (none when not configured) and the
/// compiled globs.
#[derive(Debug, Clone)]
pub struct Docs {
    embedder: Option<Embedder>,
    globs: DocGlobs,
}

impl Docs {
    /// The services for `config` (checked first; the error names the bad setting).
    pub fn new(config: &DocsConfig) -> Result<Self> {
        config.validate()?;
        Ok(Self {
            embedder: config.embeddings.clone().map(Embedder::new).transpose()?,
            globs: DocGlobs::new(&config.globs)?,
        })
    }

    /// Docs indexing and search switched off.
    pub fn disabled() -> Self {
        let globs: Vec<String> = DEFAULT_GLOBS.iter().map(|g| (*g).to_owned()).collect();
        Self {
            embedder: None,
            globs: DocGlobs::new(&globs).expect("the default globs compile"),
        }
    }

    /// The embeddings client, when a provider is configured.
    pub fn embedder(&self) -> Option<&Embedder> {
        self.embedder.as_ref()
    }

    /// The globs of the documents.
    pub fn globs(&self) -> &DocGlobs {
        &self.globs
    }
}
