-- Marks the run's :eyes: reaction as posted (the first time only).
update agent_runs set pickup_reacted_at = coalesce(pickup_reacted_at, now()), updated_at = now() where id = $1
