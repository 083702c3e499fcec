-- The newest events of a run, oldest first (self-improve lookups).
select id, kind, detail, created_at
from (select * from flow_events where run_id = $1 order by id desc limit $2) e
order by id
