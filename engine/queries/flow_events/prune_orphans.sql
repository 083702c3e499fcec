-- Retention: deletes flow events without a run (cron, slot accounting) created before $1, at most $2.
with old as (
    select id from flow_events where run_id is null and created_at < $1 order by created_at limit $2
)
delete from flow_events e using old where e.id = old.id
