-- An agent runner's heartbeat: stamps the token it came with (its launch attempt), marks the run
-- as seen and tells the runner the run's status.
with beat as (
    update run_tokens set last_heartbeat_at = now() where id = $2 and agent_run_id = $1
)
update agent_runs set updated_at = now() where id = $1 returning status
