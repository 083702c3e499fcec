-- What the embeddings provider was asked for: one row per indexing batch and per docs search,
-- so the cost of indexing and search is visible per project.
create table embedding_usage (
    id bigint generated always as identity primary key,
    project_id uuid not null references projects (id) on delete cascade,
    repository_id uuid references repositories (id) on delete cascade,
    -- index (a docs_index run embedding documents) or search (a docs_search query)
    purpose text not null check (purpose in ('index', 'search')),
    -- the engine run that indexed, for index rows
    workflow_run_id uuid,
    -- the agent run that searched, for search rows
    agent_run_id uuid references agent_runs (id) on delete cascade,
    model text not null,
    -- HTTP requests sent (a batch is split into requests of at most the batch size)
    requests int not null check (requests >= 0),
    -- texts embedded
    inputs int not null check (inputs >= 0),
    -- input tokens as the provider counted them
    input_tokens bigint not null check (input_tokens >= 0),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index embedding_usage_project on embedding_usage (project_id, created_at desc);
-- retention deletes finished stage runs, and their search rows with them (on delete cascade)
create index embedding_usage_agent_run on embedding_usage (agent_run_id) where agent_run_id is not null;
