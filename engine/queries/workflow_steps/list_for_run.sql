-- One run's journal for inspection, in order.
select seq, kind, name, status, output, error, attempts, started_at, finished_at
from workflow_steps
where run_id = $1
order by seq
