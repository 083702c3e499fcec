-- Approval requests of the MCP control tools (owner feedback, secret sync, database lifecycle,
-- agent run:* labels) and the wait state of a run whose agent blocks on the Owner.
-- States: requested -> approved | denied | expired, then approved -> applied | failed.

create table approvals (
    id uuid primary key,
    -- the stage run whose agent asked (agent_runs.id = engine run id of its stage workflow)
    agent_run_id uuid not null references agent_runs (id) on delete cascade,
    -- the run's project: lookups and approver authorization are per project
    project_id uuid not null references projects (id) on delete cascade,
    -- what is asked: feedback, secret_sync, database_lifecycle, labels
    kind text not null check (kind in ('feedback', 'secret_sync', 'database_lifecycle', 'labels')),
    -- the MCP tool that created the request, for audit and the approver's display
    tool text not null,
    -- the validated request (question and options, secret coordinates, database, labels); never a secret value
    request jsonb not null,
    -- sha256 over kind, project, thread and the normalized request (or the agent's idempotency key):
    -- a repeated call finds the open request instead of creating another
    signature text not null,
    state text not null default 'requested'
        check (state in ('requested', 'approved', 'denied', 'expired', 'applied', 'failed')),
    -- the engine run of the approval flow (approver notification, expiry, decision delivery)
    flow_run_id uuid,
    -- the engine run that waits for the decision (an agent_labels run), if any
    target_run_id uuid,
    -- after this instant no answer is accepted and the flow expires the request
    expires_at timestamptz not null,
    -- GitHub login of the person who decided (checked against the project's owners and admins)
    decided_by text,
    decided_at timestamptz,
    -- the winning answer: decision, option id, custom answer, reason
    decision jsonb,
    -- the outcome once applied or failed: executor detail, label workflow, delivery of an answer
    result jsonb,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
-- a run's requests, newest first (approval_status, audit views)
create index approvals_run on approvals (agent_run_id, created_at desc);
-- at most one open request per signature: the idempotency guarantee of the tools
create unique index approvals_open_signature on approvals (signature)
    where state in ('requested', 'approved');
-- the latest request of a signature in any state (idempotent replay of applied actions)
create index approvals_signature on approvals (signature, created_at desc);
-- pending requests by deadline (staff queue, expiry sweeps)
create index approvals_pending on approvals (expires_at) where state = 'requested';

-- mcp while the run's agent blocks in an MCP tool waiting for the Owner (its time budget is paused);
-- null otherwise
alter table agent_runs add column wait_state text check (wait_state in ('mcp'));
