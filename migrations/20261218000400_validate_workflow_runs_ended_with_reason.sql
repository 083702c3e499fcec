-- no-transaction
-- Checks the existing rows against workflow_runs_ended_with_reason without blocking writes.
alter table workflow_runs validate constraint workflow_runs_ended_with_reason;
