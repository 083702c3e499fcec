-- Heartbeat: extends the leases still held (run_id, epoch pairs in $1/$2) by $3 seconds.
-- Missing rows are lost leases; end_reason tells the holder its run is being terminated.
update workflow_tasks t
set lease_expires_at = now() + make_interval(secs => $3), updated_at = now()
from unnest($1::uuid[], $2::bigint[]) as u(run_id, epoch)
where t.run_id = u.run_id and t.epoch = u.epoch and t.state = 'leased'
returning t.run_id, (select r.end_reason from workflow_runs r where r.id = t.run_id) as end_reason
