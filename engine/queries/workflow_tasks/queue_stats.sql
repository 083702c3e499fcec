-- Depth and oldest ready age per queue, for metrics (ready now, not future timers).
select queue, count(*)::bigint as depth,
       coalesce(extract(epoch from now() - min(run_at)), 0)::float8 as oldest_age_s
from workflow_tasks
where state = 'ready' and run_at <= now()
group by queue
