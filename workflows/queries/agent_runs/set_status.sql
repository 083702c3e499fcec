update agent_runs
set status = $2, updated_at = now(),
    finished_at = case when $2 in ('succeeded', 'failed', 'cancelled', 'timed_out') then now() else finished_at end
where id = $1
