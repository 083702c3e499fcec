-- Retention: deletes run tokens that expired or were revoked before $1, at most $2.
with old as (
    select id from run_tokens where expires_at < $1 or revoked_at < $1 limit $2
)
delete from run_tokens t using old where t.id = old.id
