-- no-transaction
-- The runs list of one repository, newest first.
create index concurrently if not exists agent_runs_repository_created on agent_runs (repository_id, created_at desc, id desc);
