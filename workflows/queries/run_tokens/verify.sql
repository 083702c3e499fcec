-- The run a token belongs to, if the token is live.
select agent_run_id from run_tokens
where token_sha256 = $1 and revoked_at is null and expires_at > now()
