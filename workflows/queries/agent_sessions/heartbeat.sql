-- An agent runner's heartbeat: marks the run as seen and tells the runner the run's status.
update agent_runs set updated_at = now() where id = $1 returning status
