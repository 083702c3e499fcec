-- no-transaction
-- The approvals inbox: requests of one state, newest first (keyset on created_at, id).
create index concurrently if not exists approvals_state_created on approvals (state, created_at desc, id desc);
