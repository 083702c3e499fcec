-- Enters ($2 = 'mcp') or leaves ($2 = null) the Owner wait of a run.
update agent_runs set wait_state = $2, updated_at = now() where id = $1
