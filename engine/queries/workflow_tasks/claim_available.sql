-- Claims up to $2 tasks of queue $1 for worker $3 with a lease of $4 seconds: ready tasks by priority
-- and due timers, taken straight from the scheduled index by time (so a million future timers cost
-- the claim nothing). Every claim takes a fresh epoch; the run's kind, code version, input, end
-- reason, remaining budget (by the database clock) and trace parent come back in the same round trip,
-- and whether the run has a journal at all: most claimed runs have none, and then the claimer skips
-- the history load (a journal is written only under a lease, and every lease before this one ended
-- before the task could be claimed, so no entry can appear after this statement's snapshot).
with ready as (
    select run_id, priority, run_at
    from workflow_tasks
    where queue = $1 and state = 'ready'
    order by priority desc, run_at
    limit $2
    for update skip locked
), due as (
    select run_id, priority, run_at
    from workflow_tasks
    where queue = $1 and state = 'scheduled' and run_at <= now()
    order by run_at
    limit $2
    for update skip locked
), picked as (
    select run_id
    from (select * from ready union all select * from due) candidates
    order by priority desc, run_at
    limit $2
), claimed as (
    update workflow_tasks t
    set state = 'leased',
        epoch = nextval('workflow_task_epochs'),
        worker = $3,
        lease_expires_at = now() + make_interval(secs => $4),
        updated_at = now()
    -- by key, not by join: with fresh statistics and a large batch the planner would otherwise
    -- hash-join a scan of the whole table, whose cost grows with the table instead of the batch
    where t.run_id = any(array(select run_id from picked))
    returning t.run_id, t.queue, t.epoch, t.failed_seq, t.failed_attempts, t.skips
)
select c.run_id, c.queue, c.epoch, c.failed_seq, c.failed_attempts, c.skips,
       r.kind, r.code_version, r.input, r.end_reason, r.trace_parent,
       (extract(epoch from (r.deadline_at - now())) * 1000)::bigint as remaining_ms,
       now() as db_now,
       exists (select 1 from workflow_steps s where s.run_id = c.run_id) as has_journal
from claimed c
join workflow_runs r on r.id = c.run_id
-- by key too, for the same reason
where r.id = any(array(select run_id from claimed))
