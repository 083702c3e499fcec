-- no-transaction
-- Replaced by workflow_runs_ended_created (final statuses other than 'succeeded') and the task
-- table (live runs). A btree on status made every status change a non-HOT update (ADR 0030).
drop index concurrently if exists workflow_runs_status_created;
