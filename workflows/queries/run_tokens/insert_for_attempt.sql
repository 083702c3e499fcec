-- A run token for one launch attempt; the tokens of older attempts of the run are revoked in the
-- same statement (their agents were replaced), those of the same attempt stay (a retried launch
-- step may have started the agent with one of them).
with replaced as (
    update run_tokens set revoked_at = now(), updated_at = now()
    where agent_run_id = $1 and attempt < $4 and revoked_at is null
)
insert into run_tokens (agent_run_id, token_sha256, expires_at, attempt) values ($1, $2, $3, $4)
