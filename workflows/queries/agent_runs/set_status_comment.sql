update agent_runs set status_comment_id = $2, updated_at = now() where id = $1
