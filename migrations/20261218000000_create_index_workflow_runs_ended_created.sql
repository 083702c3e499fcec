-- no-transaction
-- The runs list filtered by a final status other than 'succeeded', newest first (ADR 0030). Such a
-- run always carries the same end reason, and a run that succeeds never sets one, so this index does
-- not name a column that a successful finish changes.
create index concurrently if not exists workflow_runs_ended_created
    on workflow_runs (end_reason, created_at desc, id desc) where end_reason is not null;
