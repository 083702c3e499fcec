-- Locks the run rows of the runs a completer flush finishes, in id order: the first lock a flush
-- takes (lock order: runs, then tasks), so it never waits for a run row while holding a task row.
select id from workflow_runs where id = any($1) order by id for no key update
