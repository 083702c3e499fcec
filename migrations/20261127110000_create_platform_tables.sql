-- The platform's domain tables: who may trigger runs (users, projects, members, repositories),
-- every accepted GitHub delivery, and the stage runs (agent_runs) started from them.

-- People known to the platform; no self-signup, GitHub logins are bound to known users.
create table users (
    id uuid primary key,
    email text not null unique,
    -- lowercased GitHub login; a webhook sender maps to a user through it
    github_login text unique,
    is_platform_owner boolean not null default false,
    is_platform_admin boolean not null default false,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
-- there is at most one platform owner
create unique index users_one_owner on users ((true)) where is_platform_owner;

-- Projects group repositories, members and settings.
create table projects (
    id uuid primary key,
    slug text not null unique,
    name text not null,
    -- prompt and comment language; null falls back to the platform default
    locale text check (locale in ('ru', 'en')),
    -- learning mode for runs of this project; null falls back to the platform default
    learning_mode_default boolean,
    -- concurrent stage runs of the project
    max_active_runs int not null default 2 check (max_active_runs > 0),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

-- Project membership and role; only admin and read_write members may trigger runs.
create table project_members (
    id bigint generated always as identity primary key,
    project_id uuid not null references projects (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    role text not null check (role in ('read', 'read_write', 'admin')),
    -- per-member learning mode; null falls back to the project default
    learning_mode_override boolean,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (project_id, user_id)
);

-- GitHub repositories bound to a project; an unbound repository triggers nothing.
create table repositories (
    id uuid primary key,
    project_id uuid not null references projects (id) on delete cascade,
    -- lowercased owner/name
    full_name text not null unique,
    default_branch text not null default 'main',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

-- Every accepted GitHub delivery, stored before the 202 is sent; a redelivery finds its row.
create table webhook_deliveries (
    id bigint generated always as identity primary key,
    -- X-GitHub-Delivery: a redelivery carries the same id
    delivery_id text not null unique,
    event text not null,
    action text,
    repository text,
    sender_login text,
    payload jsonb not null,
    received_at timestamptz not null default now(),
    -- accepted → routed, run_started, ignored, conflict, need_input, warned, failed_precondition, recorded
    outcome text not null default 'accepted',
    -- stable reason code of the outcome (policy ReasonCode), for audit and the redelivery answer
    reason text,
    -- the engine run that routes this delivery
    routing_run_id uuid,
    -- the stage run it started, if any
    agent_run_id uuid,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index webhook_deliveries_received on webhook_deliveries (received_at desc);

-- Stage runs: one engine workflow run each (same id), with what routing decided for it.
create table agent_runs (
    -- the engine run id of the stage workflow
    id uuid primary key,
    project_id uuid not null references projects (id) on delete cascade,
    repository_id uuid not null references repositories (id) on delete cascade,
    delivery_id text,
    -- stage, reviewer or discussion
    kind text not null,
    -- the trigger, e.g. dev or dev_revise; null for reviewer and discussion runs
    trigger text,
    stage text,
    role text not null,
    execution_mode text not null,
    access_profile text not null,
    target_env text not null,
    model text not null,
    reasoning text not null,
    -- whether model/reasoning came from a label (the sticky profile of later revises reuses only these)
    model_from_label boolean not null default false,
    reasoning_from_label boolean not null default false,
    issue_number bigint,
    pull_request_number bigint,
    -- the thread the status comment lives on
    thread_kind text not null check (thread_kind in ('issue', 'pull_request')),
    thread_number bigint not null,
    branch text not null,
    locale text not null,
    learning_mode boolean not null default false,
    -- pending, running, waiting, succeeded, failed, cancelled, timed_out (mirrors the engine run)
    status text not null default 'pending',
    -- the single status comment of this run, once posted
    status_comment_id bigint,
    -- short status line last reported by the agent
    agent_status text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    finished_at timestamptz
);
-- routing facts: the last run of an Issue or PR, the Issues linked to a PR
create index agent_runs_issue on agent_runs (repository_id, issue_number, created_at desc);
create index agent_runs_pull_request on agent_runs (repository_id, pull_request_number, created_at desc);
