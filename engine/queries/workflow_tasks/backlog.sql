-- The worker scaler's signal over the queues in $1: tasks due now (ready, or scheduled and
-- due), the age of the oldest of them, and tasks leased by workers.
select count(*) filter (where state = 'ready' or (state = 'scheduled' and run_at <= now()))::bigint as due,
       coalesce(extract(epoch from now() - min(run_at) filter (
           where state = 'ready' or (state = 'scheduled' and run_at <= now()))), 0)::float8 as oldest_due_age_s,
       count(*) filter (where state = 'leased')::bigint as leased
from workflow_tasks
where queue = any($1) and state in ('ready', 'scheduled', 'leased')
