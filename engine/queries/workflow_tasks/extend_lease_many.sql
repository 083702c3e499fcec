-- Heartbeat: extends the leases still held (run_id, epoch pairs in $1/$2) by $3 seconds.
-- Rows are locked in run_id order, like every multi-row write of the claim table, so a heartbeat
-- and a completer flush can never deadlock.
-- Missing rows are lost leases; end_reason tells the holder its run is being terminated.
with held as (
    select t.run_id
    from workflow_tasks t
    join unnest($1::uuid[], $2::bigint[]) as u(run_id, epoch) on t.run_id = u.run_id and t.epoch = u.epoch
    where t.state = 'leased'
    order by t.run_id
    for update of t
)
update workflow_tasks t
set lease_expires_at = now() + make_interval(secs => $3), updated_at = now()
from held
where t.run_id = held.run_id
returning t.run_id, t.epoch, (select r.end_reason from workflow_runs r where r.id = t.run_id) as end_reason
