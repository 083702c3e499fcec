-- no-transaction
-- Retention now finds finished runs through workflow_runs_created (a run finishes after it was
-- created), so a finish no longer writes an index entry for finished_at (ADR 0030).
drop index concurrently if exists workflow_runs_finished;
