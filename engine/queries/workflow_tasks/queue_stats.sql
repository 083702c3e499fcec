-- Depth (ready plus due timers) and oldest due age per queue in $1, for metrics; a queue with
-- nothing due has no row.
select queue, count(*)::bigint as depth,
       coalesce(extract(epoch from now() - min(run_at)), 0)::float8 as oldest_age_s
from workflow_tasks
where queue = any($1) and (state = 'ready' or (state = 'scheduled' and run_at <= now()))
group by queue
