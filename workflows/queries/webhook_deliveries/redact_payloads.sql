-- Retention: replaces the payloads of deliveries received before $1 by a marker (they hold
-- personal data; outcome, reason and links stay), at most $2.
with old as (
    select id from webhook_deliveries where redacted_at is null and received_at < $1 order by received_at limit $2
)
update webhook_deliveries d
set payload = jsonb_build_object('redacted', true), redacted_at = now(), updated_at = now()
from old where d.id = old.id
