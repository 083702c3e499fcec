//! Settings of docs indexing and search (part of `PlatformConfig`), and the compiled globs that
//! pick the documents of a repository.

use glob::{MatchOptions, Pattern};

use super::{
    chunk::ChunkBounds,
    embed::EmbeddingsConfig,
    error::{Error, Result},
};

/// The documents indexed when no globs are configured: the README, everything under `docs/`,
/// and architecture decision records wherever they live.
pub const DEFAULT_GLOBS: [&str; 3] = ["README.md", "docs/**/*.md", "**/adr/**/*.md"];

/// Docs indexing and search settings.
#[derive(Debug, Clone)]
pub struct DocsConfig {
    /// The embeddings provider; none: nothing is indexed and `docs_search` answers
    /// `not_configured`.
    pub embeddings: Option<EmbeddingsConfig>,
    /// Path globs of the documents (`*` stays within a directory, `**` spans any depth).
    pub globs: Vec<String>,
    /// Chunk size bounds.
    pub chunk: ChunkBounds,
    /// Larger documents are skipped (bytes).
    pub max_file_bytes: u64,
    /// Most documents indexed per repository (the rest are skipped, in path order); it also
    /// bounds the listing and plan step outputs (well under the engine's 1 MiB).
    pub max_files: usize,
    /// Documents fetched and embedded per step (one checkpoint per batch).
    pub files_per_step: usize,
    /// `hnsw.ef_search` of searches: candidates the index keeps per query (recall vs latency).
    pub ef_search: u32,
}

impl Default for DocsConfig {
    fn default() -> Self {
        Self {
            embeddings: None,
            globs: DEFAULT_GLOBS.iter().map(|g| (*g).to_owned()).collect(),
            chunk: ChunkBounds::default(),
            max_file_bytes: 1 << 20,
            max_files: 2_000,
            files_per_step: 8,
            ef_search: 200,
        }
    }
}

impl DocsConfig {
    /// Checks every setting; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        let bad = |field, reason: &str| {
            Err(Error::InvalidConfig {
                field,
                reason: reason.to_owned(),
            })
        };
        if let Some(e) = &self.embeddings {
            e.validate()?;
        }
        DocGlobs::new(&self.globs)?;
        let c = &self.chunk;
        if c.max_tokens < 16 {
            return bad("chunk.max_tokens", "must be at least 16");
        }
        if c.overlap_tokens * 2 > c.max_tokens {
            return bad("chunk.overlap_tokens", "must be at most half of max_tokens");
        }
        if c.code_max_tokens < c.max_tokens || c.code_max_tokens > 8_000 {
            return bad(
                "chunk.code_max_tokens",
                "must be max_tokens..8000 (the provider's input limit is 8,191)",
            );
        }
        if self.max_file_bytes == 0 || self.max_files == 0 || self.files_per_step == 0 {
            return bad("max_files", "limits must be positive");
        }
        if !(1..=1000).contains(&self.ef_search) {
            return bad("ef_search", "must be 1..1000 (pgvector's range)");
        }
        Ok(())
    }
}

/// Compiled document globs.
#[derive(Debug, Clone)]
pub struct DocGlobs(Vec<Pattern>);

const MATCH: MatchOptions = MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: false,
};

impl DocGlobs {
    /// Compiles the globs; an invalid one is named.
    pub fn new(globs: &[String]) -> Result<Self> {
        if globs.is_empty() {
            return Err(Error::InvalidConfig {
                field: "globs",
                reason: "at least one glob is needed".into(),
            });
        }
        globs
            .iter()
            .map(|g| {
                Pattern::new(g.trim()).map_err(|e| Error::InvalidConfig {
                    field: "globs",
                    reason: format!("{g:?}: {e}"),
                })
            })
            .collect::<Result<_>>()
            .map(Self)
    }

    /// Whether `path` (from the repository root) is a document.
    pub fn matches(&self, path: &str) -> bool {
        self.0.iter().any(|p| p.matches_with(path, MATCH))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_globs_take_the_readme_docs_and_adrs_only() {
        let defaults: Vec<String> = DEFAULT_GLOBS.iter().map(|g| (*g).to_owned()).collect();
        let globs = DocGlobs::new(&defaults).unwrap();
        for path in [
            "README.md",
            "docs/architecture.md",
            "docs/adr/0001-x.md",
            "docs/a/b/c.md",
            "adr/0002-y.md",
            "services/api/adr/0001-z.md",
        ] {
            assert!(globs.matches(path), "{path}");
        }
        for path in [
            "src/README.md",
            "docs/logo.png",
            "CHANGELOG.md",
            "readme.md",
            "docs.md",
            "mydocs/x.md",
        ] {
            assert!(!globs.matches(path), "{path}");
        }
    }

    #[test]
    fn a_bad_glob_or_bound_is_named() {
        let err = DocGlobs::new(&["docs/***.md".into()]).unwrap_err();
        assert!(err.to_string().contains("docs/***.md"), "{err}");
        let config = DocsConfig {
            ef_search: 0,
            ..DocsConfig::default()
        };
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .contains("ef_search")
        );
        assert!(DocsConfig::default().validate().is_ok());
    }
}
