-- What keeps a repository bound, counted. Run after repositories/lock.sql in one transaction: no
-- stage run can reference it meanwhile (the foreign key's key-share lock waits for that lock).
-- runs: stage runs that reference it, live or finished; runs keep their repository, so their history
--   stays readable until retention removes them.
-- routing_deliveries: accepted GitHub deliveries for it whose routing run has not ended; routing may
--   still start a stage run for them. Reads the few live runs by status.
select
    (select count(*) from agent_runs a where a.repository_id = r.id) as runs,
    (select count(*)
     from workflow_runs w
     join webhook_deliveries d on d.delivery_id = w.input ->> 'delivery_id'
     where w.status in ('pending', 'waiting') and w.kind = 'github_delivery'
       and lower(d.repository) = r.full_name
    ) as routing_deliveries
from repositories r
where r.id = $1
