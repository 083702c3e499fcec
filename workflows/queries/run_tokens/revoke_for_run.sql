update run_tokens set revoked_at = now(), updated_at = now() where agent_run_id = $1 and revoked_at is null
