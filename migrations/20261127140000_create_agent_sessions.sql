-- Codex session rollouts and token usage of agent runs (constraints: agent_sessions and
-- token_usage are part of the agent-lifecycle audit).

-- Versioned snapshots of a run lineage's codex rollout file (`rollout-*.jsonl`), uploaded by the
-- runner after every turn; a revise or a resume restores the lineage's latest one.
create table agent_sessions (
    id bigint generated always as identity primary key,
    agent_run_id uuid not null references agent_runs (id) on delete cascade,
    -- the run lineage (`<owner/name>#<issue>`): all runs of one Issue share their codex thread
    lineage text not null,
    -- codex thread (session) id, for `codex exec resume <thread_id>`
    thread_id text not null,
    -- monotonic per lineage; an upload must name the version it replaces (a stale one is refused)
    version int not null check (version > 0),
    -- the rollout file name, restored under the same name
    file_name text not null,
    sha256 text not null,
    size_bytes bigint not null,
    content bytea not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (lineage, version)
);
create index agent_sessions_run on agent_sessions (agent_run_id);

-- Token usage per turn, as deltas (codex reports running totals on resume).
create table token_usage (
    id bigint generated always as identity primary key,
    agent_run_id uuid not null references agent_runs (id) on delete cascade,
    thread_id text not null,
    -- turn index within the run
    turn int not null,
    model text not null,
    input_tokens bigint not null,
    cached_input_tokens bigint not null,
    output_tokens bigint not null,
    reasoning_output_tokens bigint not null,
    total_tokens bigint not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (agent_run_id, thread_id, turn)
);
