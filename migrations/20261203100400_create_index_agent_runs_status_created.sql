-- no-transaction
-- The runs list filtered by status (failed runs, waiting runs), newest first.
create index concurrently if not exists agent_runs_status_created on agent_runs (status, created_at desc, id desc);
