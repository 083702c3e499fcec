-- no-transaction
-- The runs list of one project, newest first.
create index concurrently if not exists agent_runs_project_created on agent_runs (project_id, created_at desc, id desc);
