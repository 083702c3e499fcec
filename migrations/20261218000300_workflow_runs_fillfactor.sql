-- A run row is rewritten in place when it waits, resumes or finishes (a HOT update) only if its
-- page has room for the new version: leave a fifth of each page free (ADR 0030). Applies to pages
-- written from now on.
alter table workflow_runs set (fillfactor = 80);
-- The runs list finds failed, cancelled and timed-out runs through their end reason
-- (workflow_runs_ended_created): a run with such a status always carries the same end reason.
-- Checked for new rows now, for the existing ones by the next migration.
alter table workflow_runs add constraint workflow_runs_ended_with_reason
    check (status not in ('failed', 'cancelled', 'timed_out') or end_reason is not distinct from status) not valid;
