select a.*, r.full_name as repository
from agent_runs a
join repositories r on r.id = a.repository_id
where a.id = $1
