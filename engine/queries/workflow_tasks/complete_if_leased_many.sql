-- Finishes runs whose attempts still hold their lease: the task leaves the claim table and the run
-- gets its final status, in one statement. $1 is a jsonb array of
-- {run_id, epoch, status, output, error}. Returns the finished runs and their concurrency keys.
with input as (
    select * from jsonb_to_recordset($1) as x(run_id uuid, epoch bigint, status text, output jsonb, error jsonb)
), held as (
    -- locked in run_id order, like every multi-row write of the claim table (no deadlocks)
    select t.run_id
    from workflow_tasks t
    join input i on t.run_id = i.run_id and t.epoch = i.epoch
    where t.state = 'leased'
    order by t.run_id
    for update of t
), done as (
    delete from workflow_tasks t
    using held
    where t.run_id = held.run_id
    returning t.run_id
)
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
where r.id = i.run_id and r.id in (select run_id from done)
returning r.id, r.concurrency_keys
