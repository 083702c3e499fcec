-- The step history of the given runs, for replay.
select run_id, seq, name, status, output, error
from workflow_steps
where run_id = any($1)
