-- One run for inspection, with its task's state.
select r.id, r.kind, r.code_version, r.queue, r.input, r.status, r.priority, r.idempotency_key,
       r.concurrency_keys, r.output, r.error, r.parked, r.end_reason, r.budget_ms, r.budget_spent_ms,
       r.active_since, r.deadline_at, r.created_at, r.updated_at, r.finished_at,
       t.state as task_state, t.run_at as task_run_at
from workflow_runs r
left join workflow_tasks t on t.run_id = r.id
where r.id = $1
