-- Records what routing did with a delivery.
update webhook_deliveries
set outcome = $2, reason = $3, routing_run_id = $4, agent_run_id = $5, updated_at = now()
where delivery_id = $1
