-- Retention: deletes stage runs finished before $1 (their run tokens, session snapshots, token
-- usage and approvals cascade), at most $2.
with old as (
    select id from agent_runs where finished_at < $1 order by finished_at limit $2
)
delete from agent_runs r using old where r.id = old.id
