//! Docs indexing and search against a real Postgres (pgvector), the fake GitHub and the fake
//! embeddings provider, driven by the real clients and an engine worker.

mod embed;
mod index;
mod search;
mod support;
