-- Spends the launch's one checkout credential: live token, not handed out yet, and its agent has
-- not started (no heartbeat). Returns the stage run.
update run_tokens
set checkout_issued_at = now(), updated_at = now()
where token_sha256 = $1
  and checkout_issued_at is null
  and last_heartbeat_at is null
  and revoked_at is null
  and expires_at > now()
returning agent_run_id
