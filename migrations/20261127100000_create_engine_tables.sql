-- The durable workflow engine's tables.
-- Hot path: workflow_tasks (the claim table) holds one row per run that has work to do or a timer to fire;
-- finished work leaves it, so it stays small. History (runs, steps, waits, signals, flow events) lives in
-- append-mostly tables pruned by the retention policy (docs/runbook.md).
-- Deviation from "every table has an id key": workflow_steps and workflow_tasks are keyed by their natural
-- key ((run_id, seq) and run_id) because a second unique index would cost a write on the hottest path.

-- One row per workflow run: what was asked (kind, input), where it stands, and its time budget.
create table workflow_runs (
    id uuid primary key,
    -- the registered workflow kind that interprets input
    kind text not null,
    -- the queue whose workers run it
    queue text not null,
    input jsonb not null,
    -- stored status; 'running' is derived (a pending run whose task is leased) so a claim costs no write here
    status text not null default 'pending'
        check (status in ('pending', 'waiting', 'succeeded', 'failed', 'cancelled', 'timed_out')),
    -- higher runs first
    priority smallint not null default 0,
    -- a second start with the same key returns this run
    idempotency_key text unique,
    -- each key admits at most its limit of runs at once (see concurrency_keys)
    concurrency_keys text[] not null default '{}',
    output jsonb,
    error jsonb,
    -- set when the run must end (cancelled, timed_out, failed): its cleanup runs, then status becomes this
    end_reason text check (end_reason in ('failed', 'cancelled', 'timed_out')),
    -- the run's time budget; null means unlimited
    budget_ms bigint check (budget_ms > 0),
    -- budget used while active, excluding pausing waits
    budget_spent_ms bigint not null default 0,
    -- when the budget clock last started; null while paused or without a budget
    active_since timestamptz,
    -- active_since + remaining budget; null while paused; scanned by the timeout sweep
    deadline_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    finished_at timestamptz
);
-- inspection lists newest first, optionally by kind or status
create index workflow_runs_created on workflow_runs (created_at desc, id desc);
create index workflow_runs_kind_created on workflow_runs (kind, created_at desc, id desc);
create index workflow_runs_status_created on workflow_runs (status, created_at desc, id desc);
-- the timeout sweep only looks at runs whose clock is running
create index workflow_runs_deadline on workflow_runs (deadline_at) where deadline_at is not null;
-- retention prunes finished runs by age
create index workflow_runs_finished on workflow_runs (finished_at) where finished_at is not null;

-- Epochs fence attempts: every claim takes a fresh one, and every write of an attempt names it.
create sequence workflow_task_epochs;

-- The claim table: a run's next piece of work. Absent while the run waits for a signal without deadline.
create table workflow_tasks (
    run_id uuid primary key references workflow_runs (id) on delete cascade,
    queue text not null,
    priority smallint not null,
    -- not claimable before this instant (timers, retry backoff)
    run_at timestamptz not null default now(),
    -- blocked: waiting for a concurrency slot of its key; ready: claimable at run_at; leased: held by a worker
    state text not null check (state in ('blocked', 'ready', 'leased')),
    -- attempt epoch of the current lease
    epoch bigint,
    -- holder of the lease (process identity), for audit
    worker text,
    lease_expires_at timestamptz,
    -- copy of the run's keys so a finishing run can promote blocked tasks without a join
    concurrency_keys text[] not null default '{}',
    -- retry bookkeeping of the step that is failing (seq -1 is the cleanup)
    failed_seq int,
    failed_attempts int not null default 0,
    -- consecutive lease rescues without step progress, to stop a step that keeps crashing its worker
    rescues int not null default 0,
    rescue_progress int not null default 0,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    check ((state = 'leased') = (epoch is not null and lease_expires_at is not null))
);
-- the claim scan: per queue, best priority first, then oldest
create index workflow_tasks_ready on workflow_tasks (queue, priority desc, run_at) where state = 'ready';
-- the rescue scan
create index workflow_tasks_leased on workflow_tasks (lease_expires_at) where state = 'leased';
-- promotion of blocked runs sharing a released key
create index workflow_tasks_blocked on workflow_tasks using gin (concurrency_keys) where state = 'blocked';

-- Admission counters of concurrency keys; admission and release are serialized by one advisory lock.
create table concurrency_keys (
    id text primary key,
    max_active int not null check (max_active > 0),
    -- runs admitted and not yet finished
    active int not null default 0 check (active >= 0),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

-- A run's ordered step history: completed steps return this output on replay instead of running again.
create table workflow_steps (
    run_id uuid not null references workflow_runs (id) on delete cascade,
    -- position of the step in the workflow; part of the persisted key, with name checked on replay
    seq int not null,
    name text not null,
    status text not null check (status in ('succeeded', 'failed')),
    output jsonb,
    error jsonb,
    -- attempts it took, including the successful one
    attempts int not null,
    started_at timestamptz not null,
    finished_at timestamptz not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (run_id, seq)
);

-- Signal waits, open and closed, with the time they paused the run's budget.
create table workflow_waits (
    id bigint generated always as identity primary key,
    run_id uuid not null references workflow_runs (id) on delete cascade,
    seq int not null,
    signal text not null,
    -- a pausing wait stops the run's budget clock until it ends
    pausing boolean not null,
    deadline_at timestamptz,
    started_at timestamptz not null default now(),
    ended_at timestamptz,
    outcome text check (outcome in ('signalled', 'deadline', 'cancelled')),
    paused_ms bigint,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (run_id, seq)
);
-- a signal looks up the open wait of its run by name
create index workflow_waits_open on workflow_waits (run_id, signal) where ended_at is null;

-- Signals sent to runs; each is consumed by exactly one wait, in order of arrival.
create table workflow_signals (
    id bigint generated always as identity primary key,
    run_id uuid not null references workflow_runs (id) on delete cascade,
    name text not null,
    payload jsonb not null,
    -- a repeated send with the same key is a no-op
    idempotency_key text,
    consumed_seq int,
    consumed_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (run_id, idempotency_key)
);
create index workflow_signals_pending on workflow_signals (run_id, name, id) where consumed_at is null;

-- Append-only audit of what happened to runs (and, later, of domain transitions).
-- Step completions are audited by their workflow_steps rows and run creation/finish by workflow_runs;
-- the inspection API merges the three into one timeline.
create table flow_events (
    id bigint generated always as identity primary key,
    run_id uuid,
    kind text not null,
    step_seq int,
    attempt int,
    detail jsonb not null default '{}',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index flow_events_run on flow_events (run_id, id);
create index flow_events_created on flow_events (created_at);

-- Cron schedules: each tick starts one run, whichever worker wins the guarded update.
create table cron_schedules (
    id text primary key,
    expression text not null,
    kind text not null,
    queue text not null,
    input jsonb not null,
    next_fire_at timestamptz not null,
    last_fired_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index cron_schedules_due on cron_schedules (next_fire_at);
