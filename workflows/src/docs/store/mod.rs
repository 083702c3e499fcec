//! The docs tables' SQL: one function per query file under `workflows/queries/<table>/<verb>.sql`.

pub mod doc_chunk;
pub mod embedding_usage;
