-- Finishes runs whose attempts still hold their lease; the caller has locked their task rows (the
-- run rows are locked here, under them). A run finishes only with the status its end reason allows: 'succeeded' when it
-- has none and its budget is not spent, else exactly its end reason (after its cleanup). The others
-- stay leased and are reported 'ending' (an end reason was set meanwhile: clean up for it) or
-- 'overdue' (succeeded after its budget ran out: time it out). $1 is a jsonb array of
-- {run_id, epoch, status, output, error}. Returns each run with its outcome and the keys it held.
with input as (
    select * from jsonb_to_recordset($1) as x(run_id uuid, epoch bigint, status text, output jsonb, error jsonb)
), observed as (
    select i.run_id, i.epoch, i.status, i.output, i.error, r.end_reason, t.run_id is not null as held,
           coalesce(t.concurrency_keys, '{}') as held_keys,
           (i.status = 'succeeded' and r.end_reason is null and r.deadline_at is not null
            and r.deadline_at <= now()) as overdue
    from input i
    join workflow_runs r on r.id = i.run_id
    left join workflow_tasks t on t.run_id = i.run_id and t.epoch = i.epoch and t.state = 'leased'
), finishing as (
    select * from observed
    where held and not overdue
      and ((status = 'succeeded' and end_reason is null) or status = end_reason)
), done as (
    delete from workflow_tasks t
    using finishing f
    where t.run_id = f.run_id
    returning t.run_id
), finished as (
    update workflow_runs r
    set status = f.status,
        output = f.output,
        error = coalesce(f.error, r.error),
        finished_at = now(),
        updated_at = now(),
        budget_spent_ms = r.budget_spent_ms
            + case when r.active_since is null then 0 else engine_ms(r.active_since, now()) end,
        active_since = null,
        deadline_at = null
    from finishing f
    where r.id = f.run_id and r.id in (select run_id from done)
    returning r.id
)
select o.run_id, o.epoch,
       case when not o.held then 'lease_lost'
            when o.run_id in (select id from finished) then 'finished'
            when o.overdue then 'overdue'
            else 'ending' end as outcome,
       o.end_reason, o.held_keys
from observed o
