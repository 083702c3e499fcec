-- Terminates runs whose time budget is spent.
select id, engine_terminate(id, 'timed_out', jsonb_build_object('code', 'budget_exhausted', 'message', 'the run spent its time budget'))
from (
    select id from workflow_runs
    where deadline_at <= now() and end_reason is null and status in ('pending', 'waiting')
    order by deadline_at
    limit $1
    for no key update skip locked
) due
