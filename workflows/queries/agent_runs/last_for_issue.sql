-- The latest run of an Issue (routing: sticky model/reasoning, revise stage).
select stage, model, reasoning, model_from_label, reasoning_from_label, pull_request_number
from agent_runs
where repository_id = $1 and issue_number = $2
order by created_at desc
limit 1
