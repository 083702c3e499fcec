-- Claims up to $2 ready tasks of queue $1 for worker $3 with a lease of $4 seconds.
-- Every claim takes a fresh epoch; the run's kind and input come back in the same round trip.
with picked as (
    select run_id
    from workflow_tasks
    where queue = $1 and state = 'ready' and run_at <= now()
    order by priority desc, run_at
    limit $2
    for update skip locked
), claimed as (
    update workflow_tasks t
    set state = 'leased',
        epoch = nextval('workflow_task_epochs'),
        worker = $3,
        lease_expires_at = now() + make_interval(secs => $4),
        updated_at = now()
    from picked
    where t.run_id = picked.run_id
    returning t.run_id, t.queue, t.epoch, t.failed_seq, t.failed_attempts
)
select c.run_id, c.queue, c.epoch, c.failed_seq, c.failed_attempts, r.kind, r.input, r.end_reason, r.deadline_at
from claimed c
join workflow_runs r on r.id = c.run_id
