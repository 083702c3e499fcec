-- Terminates runs whose time budget is spent; their task rows are locked first (lock order: task, then
-- run), skipping runs busy elsewhere (the next sweep gets them).
select due.run_id as id,
       engine_terminate(due.run_id, 'timed_out', jsonb_build_object('code', 'budget_exhausted', 'message', 'the run spent its time budget'))
from (
    select t.run_id
    from workflow_runs r
    join workflow_tasks t on t.run_id = r.id
    where r.deadline_at <= now() and r.end_reason is null and r.status in ('pending', 'waiting')
    order by r.deadline_at
    limit $1
    for update of t skip locked
) due
