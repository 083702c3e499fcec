-- Records what routing did with a delivery; returns its event and the outcome it had before, so
-- the caller counts a delivery once (its first outcome), not each time a retried step records it.
with before as (
    select delivery_id, outcome from webhook_deliveries where delivery_id = $1 for update
)
update webhook_deliveries d
set outcome = $2, reason = $3, routing_run_id = $4, agent_run_id = $5, updated_at = now()
from before
where d.delivery_id = before.delivery_id
returning d.event, before.outcome as previous
