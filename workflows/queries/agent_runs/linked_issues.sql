-- Issues linked to a pull request through run history.
select distinct issue_number
from agent_runs
where repository_id = $1 and pull_request_number = $2 and issue_number is not null
