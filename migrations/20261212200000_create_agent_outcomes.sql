-- What an agent reported about its own end, through the runner API, before it exited: the one
-- record of an agent's outcome that does not live in the memory of the worker that launched it,
-- so any worker (after a rescue) can read it.
create table agent_outcomes (
    id bigint generated always as identity primary key,
    agent_run_id uuid not null references agent_runs (id) on delete cascade,
    -- the launch attempt (0, then one more per relaunch) whose run token made the report
    attempt int not null check (attempt >= 0),
    -- the agent's exit status as the agent itself saw it (0: its work is done)
    exit_code int not null,
    final_message text,
    pull_request bigint check (pull_request > 0),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    -- one outcome per launch attempt: a repeated report (a retry) finds the first one
    unique (agent_run_id, attempt)
);
