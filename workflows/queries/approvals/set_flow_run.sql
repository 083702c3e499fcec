-- Links a request to the engine run of its approval flow.
update approvals set flow_run_id = $2, updated_at = now() where id = $1
