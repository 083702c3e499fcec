-- $1 run: its links in the order they happened
select kind, target, metadata, created_at
from links
where agent_run_id = $1
order by id
