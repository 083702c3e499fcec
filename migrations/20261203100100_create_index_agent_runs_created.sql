-- no-transaction
-- The runs list without filters, newest first (keyset pagination on created_at, id).
create index concurrently if not exists agent_runs_created on agent_runs (created_at desc, id desc);
