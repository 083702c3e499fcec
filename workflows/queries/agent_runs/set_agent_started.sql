-- Marks the run's agent as launched, just before its first launch (a relaunch resumes its thread
-- and keeps the first time): a comment routed before this moment is one the agent reads.
update agent_runs set agent_started_at = coalesce(agent_started_at, now()), updated_at = now() where id = $1
