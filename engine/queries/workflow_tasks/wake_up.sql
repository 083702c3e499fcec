-- Seconds until the first timer of queue $1 is due, by the database clock; none without timers.
select extract(epoch from (min(run_at) - now()))::float8
from workflow_tasks
where queue = $1 and state = 'scheduled'
