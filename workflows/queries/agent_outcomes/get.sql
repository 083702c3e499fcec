-- The outcome one launch attempt of a run reported, if it did.
select agent_run_id, attempt, exit_code, final_message, pull_request, created_at
from agent_outcomes
where agent_run_id = $1 and attempt = $2
