-- Retention: deletes deliveries received before $1, at most $2.
with old as (
    select id from webhook_deliveries where received_at < $1 order by received_at limit $2
)
delete from webhook_deliveries d using old where d.id = old.id
