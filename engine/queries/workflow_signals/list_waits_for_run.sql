-- One run's waits for inspection.
select seq, signal, pausing, deadline_at, started_at, ended_at, outcome, paused_ms
from workflow_waits
where run_id = $1
order by seq
