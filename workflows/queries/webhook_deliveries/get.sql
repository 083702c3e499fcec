select delivery_id, event, action, repository, sender_login, payload, received_at, outcome, reason,
       routing_run_id, agent_run_id
from webhook_deliveries
where delivery_id = $1
