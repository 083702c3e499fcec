-- Links (an audit entity of the seed): what a stage run touched, written as it happens:
-- its Issue, pull request, work branch, commits, agent session (codex thread) and runtime handle.
create table links (
    id bigint generated always as identity primary key,
    -- the stage run the link belongs to
    agent_run_id uuid not null references agent_runs (id) on delete cascade,
    -- what the target is
    kind text not null check (kind in ('issue', 'pull_request', 'branch', 'commit', 'session', 'runtime')),
    -- the target: an Issue or pull request number, a branch name, a commit sha, a thread id, a handle
    target text not null,
    -- what else is worth showing (a pull request's URL, a commit's repository)
    metadata jsonb not null default '{}',
    created_at timestamptz not null default now(),
    -- a retried step writes the same link again: one row
    unique (agent_run_id, kind, target)
);
-- "which runs touched this branch / commit / pull request"
create index links_kind_target on links (kind, target);
