-- One run's audit events in order.
select id, kind, step_seq, attempt, detail, created_at
from flow_events
where run_id = $1
order by id
