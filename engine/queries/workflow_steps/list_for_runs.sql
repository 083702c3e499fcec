-- The journal of the given runs, for replay.
select run_id, seq, kind, name, status, output, error
from workflow_steps
where run_id = any($1)
