-- A run's events after an id, oldest first (the live event stream and its resumption).
select id, run_id, kind, step_seq, attempt, detail, created_at
from flow_events
where run_id = $1 and id > $2
order by id
limit $3
