-- A failed stage run whose engine run was re-opened from its failed step is active again ($2:
-- running, or pending while it waits for a slot), its recorded failure cleared. Only from
-- `failed`: a parked run never said failed.
update agent_runs
set status = $2, failure = null, finished_at = null, updated_at = now()
where id = $1 and status = 'failed'
