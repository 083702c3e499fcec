-- Runs newest first with optional filters; the cursor is the (created_at, id) of the last row seen.
-- 'running' and 'pending' are told apart by the task: a pending run whose task is leased is running.
-- A run that ended failed, cancelled or timed out carries that end reason, so those filters name it
-- too and read workflow_runs_ended_created (no index names the status: ADR 0030).
select r.id, r.kind, r.queue, r.status, r.priority, r.end_reason, r.created_at, r.updated_at, r.finished_at,
       t.state as task_state
from workflow_runs r
left join workflow_tasks t on t.run_id = r.id
where ($1::text is null or r.kind = $1)
  and ($2::text is null
       or ($2 = 'running' and r.status = 'pending' and t.state = 'leased')
       or ($2 = 'pending' and r.status = 'pending' and t.state is distinct from 'leased')
       or ($2 not in ('running', 'pending', 'failed', 'cancelled', 'timed_out') and r.status = $2)
       or ($2 in ('failed', 'cancelled', 'timed_out') and r.end_reason = $2 and r.status = $2))
  and ($3::text is null or r.queue = $3)
  and ($4::timestamptz is null or (r.created_at, r.id) < ($4, $5::uuid))
order by r.created_at desc, r.id desc
limit $6
