-- A stage run's end, written by its cleanup: the terminal status and why ($3, null when unknown).
update agent_runs
set status = $2, failure = $3, updated_at = now(),
    finished_at = coalesce(finished_at, now())
where id = $1
