-- Locks a stage run's row until the transaction ends and returns its mirrored status: while the
-- engine re-opens its run, the workflow's own status writes (a failure's cleanup, mark_succeeded)
-- wait for this transaction, and a project being deleted waits for it (or it for the deletion).
select status from agent_runs where id = $1 for update
