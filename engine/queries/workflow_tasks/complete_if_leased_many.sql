-- Finishes runs whose attempts still hold their lease; the caller has locked their task rows (the
-- run rows are locked here, under them). A run finishes only with the status its end reason allows:
-- 'succeeded' when it has none and its budget is not spent, else exactly its end reason (after its
-- cleanup). The others stay leased and are reported 'ending' (an end reason was set meanwhile: clean
-- up for it) or 'overdue' (succeeded after its budget ran out: time it out). $1 is a jsonb array of
-- {run_id, epoch, status, output, error}. Returns each run with its outcome and the keys it held.
with input as (
    select * from jsonb_to_recordset($1) as x(run_id uuid, epoch bigint, status text, output jsonb, error jsonb)
), held as (
    select t.run_id, t.epoch, t.concurrency_keys
    from workflow_tasks t
    join input i on t.run_id = i.run_id and t.epoch = i.epoch
    where t.state = 'leased'
), finished as (
    update workflow_runs r
    set status = i.status,
        output = i.output,
        error = coalesce(i.error, r.error),
        finished_at = now(),
        updated_at = now(),
        budget_spent_ms = r.budget_spent_ms
            + case when r.active_since is null then 0 else engine_ms(r.active_since, now()) end,
        active_since = null,
        deadline_at = null
    from input i
    join held h on h.run_id = i.run_id and h.epoch = i.epoch
    where r.id = i.run_id
      and ((i.status = 'succeeded' and r.end_reason is null and (r.deadline_at is null or r.deadline_at > now()))
           or i.status = r.end_reason)
    returning r.id, i.epoch, h.concurrency_keys
), done as (
    delete from workflow_tasks t
    using finished f
    where t.run_id = f.id
)
select i.run_id, i.epoch,
       case when f.id is not null then 'finished'
            when h.run_id is null then 'lease_lost'
            when i.status = 'succeeded'
                 and (select r.end_reason is null from workflow_runs r where r.id = i.run_id) then 'overdue'
            else 'ending' end as outcome,
       case when f.id is null and h.run_id is not null
            then (select r.end_reason from workflow_runs r where r.id = i.run_id) end as end_reason,
       coalesce(f.concurrency_keys, '{}') as held_keys
from input i
left join held h on h.run_id = i.run_id and h.epoch = i.epoch
left join finished f on f.id = i.run_id and f.epoch = i.epoch
