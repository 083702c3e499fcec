update agent_runs set pull_request_number = $2, updated_at = now() where id = $1
