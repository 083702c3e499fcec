-- Project docs search: the markdown documents of bound repositories, cut into chunks along their
-- headings, each with its embedding (constraints: pgvector for chunk search, vector(3072)).

create extension if not exists vector;

-- One chunk of one document as it was at one blob; docs_search returns these.
create table doc_chunks (
    id bigint generated always as identity primary key,
    project_id uuid not null references projects (id) on delete cascade,
    repository_id uuid not null references repositories (id) on delete cascade,
    -- path of the document in the repository
    path text not null,
    -- git blob sha of the document: a document whose blob is unchanged is not embedded again,
    -- and a renamed one (same blob, new path) reuses its rows
    blob_sha text not null,
    -- titles of the enclosing headings, outermost first (empty before the first heading)
    heading_path text[] not null,
    -- position of the chunk in its document, from 0
    chunk_index int not null check (chunk_index >= 0),
    text text not null,
    -- estimated tokens of `text`, what the chunk size bound counts
    token_count int not null check (token_count >= 0),
    -- full precision, as the provider answered; the approximate index below uses halfvec
    embedding vector(3072) not null,
    -- the embedding model: a document embedded by another model is embedded again
    model text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    -- a document's chunks are replaced as a whole; this index also serves (repository_id, path)
    unique (repository_id, path, chunk_index)
);

-- Renamed documents are found by their blob.
create index doc_chunks_blob on doc_chunks (repository_id, blob_sha);

-- Approximate nearest neighbours by cosine distance. HNSW indexes `vector` only up to 2,000
-- dimensions but `halfvec` up to 4,000, so the index is on the expression cast to halfvec(3072);
-- a query uses it only when it orders by that same expression (`embedding::halfvec(3072) <=> …`).
-- Ordering by `embedding <=> …` stays an exact scan over full precision (for verification).
-- m and ef_construction above pgvector's defaults (16, 64): recall@10 0.961 instead of 0.929 at
-- ef_search 200 on 50,000 chunks, for the same size and build time (ADR 0015).
create index doc_chunks_embedding on doc_chunks
    using hnsw ((embedding::halfvec(3072)) halfvec_cosine_ops)
    with (m = 24, ef_construction = 128);
