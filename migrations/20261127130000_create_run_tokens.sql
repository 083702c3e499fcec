-- Per-run bearer tokens: an agent (runner, codex's MCP client) proves which run it acts for.
-- Only the sha256 of a token is stored; the token itself exists in the agent's environment.
create table run_tokens (
    id bigint generated always as identity primary key,
    -- the stage run (engine run id = agent_runs.id)
    agent_run_id uuid not null references agent_runs (id) on delete cascade,
    -- hex sha256 of the token
    token_sha256 text not null unique,
    expires_at timestamptz not null,
    -- set when the run ends or the token is replaced
    revoked_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index run_tokens_run on run_tokens (agent_run_id);
