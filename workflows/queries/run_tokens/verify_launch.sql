-- The run, launch attempt and row of a live token.
select id, agent_run_id, attempt from run_tokens
where token_sha256 = $1 and revoked_at is null and expires_at > now()
