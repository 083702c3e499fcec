insert into run_tokens (agent_run_id, token_sha256, expires_at) values ($1, $2, $3)
