-- Marks a run as failing (its cleanup comes next) when the attempt still holds its lease.
update workflow_runs
set end_reason = 'failed', error = $3, deadline_at = null, updated_at = now(),
    budget_spent_ms = budget_spent_ms + case when active_since is null then 0 else engine_ms(active_since, now()) end,
    active_since = null
where id = $1 and end_reason is null
  and exists (select 1 from workflow_tasks where run_id = $1 and epoch = $2 and state = 'leased')
