-- One completer flush in one statement: commits step outputs and finishes runs, each only under the
-- lease it was made under. Lock order: every task row the flush touches ($3, sorted) is locked first,
-- in run id order; run rows are only written under their locked task row. $1 is a jsonb array of
-- steps {run_id, epoch, seq, kind, name, status, output, error, attempts, started_at}; $2 of
-- completions {run_id, epoch, status, output, error}. A run finishes only with the status its end
-- reason allows: 'succeeded' when it has none and its budget is not spent, else exactly its end
-- reason (after its cleanup); the others stay leased and are reported 'ending' (an end reason was
-- set meanwhile: clean up for it) or 'overdue' (succeeded after its budget ran out: time it out).
-- A finished run's concurrency slots are released here too (engine_release_slots). Returns one row
-- per step ('accepted' or 'lease_lost') and per completion (its outcome, the end reason when
-- 'ending', and the concurrency keys it held when 'finished').
with locked as materialized (
    -- by key only: a filter on the state would let the planner walk every leased task instead
    select t.run_id, t.epoch, t.state, t.concurrency_keys
    from workflow_tasks t
    where t.run_id = any($3)
    order by t.run_id
    for update of t
), held as (
    select run_id, epoch, concurrency_keys from locked where state = 'leased'
), step_in as (
    select * from jsonb_to_recordset($1) as x(
        run_id uuid, epoch bigint, seq int, kind text, name text, status text, output jsonb, error jsonb,
        attempts int, started_at timestamptz)
), accepted as (
    select s.* from step_in s join held h on h.run_id = s.run_id and h.epoch = s.epoch
), written as (
    insert into workflow_steps (run_id, seq, kind, name, status, output, error, attempts, started_at, finished_at)
    select run_id, seq, kind, name, status, output, error, attempts, least(started_at, now()), now()
    from accepted
    on conflict (run_id, seq) do nothing
), finish_in as (
    select * from jsonb_to_recordset($2) as x(run_id uuid, epoch bigint, status text, output jsonb, error jsonb)
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
    from finish_in i
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
select false as finish, s.run_id, s.epoch,
       case when a.run_id is null then 'lease_lost' else 'accepted' end as outcome,
       null::text as end_reason, '{}'::text[] as held_keys
from step_in s
left join accepted a on a.run_id = s.run_id and a.epoch = s.epoch and a.seq = s.seq
union all
select true, i.run_id, i.epoch,
       case when f.id is not null then 'finished'
            when h.run_id is null then 'lease_lost'
            when i.status = 'succeeded' and w.end_reason is null then 'overdue'
            else 'ending' end,
       w.end_reason,
       case when f.id is not null and f.concurrency_keys <> '{}'
            -- the slots go back under the admission lock, in this same transaction
            then (select f.concurrency_keys from engine_release_slots(f.concurrency_keys))
            else coalesce(f.concurrency_keys, '{}') end
from finish_in i
left join held h on h.run_id = i.run_id and h.epoch = i.epoch
left join finished f on f.id = i.run_id and f.epoch = i.epoch
-- the end reason of a run that did not finish, as committed now (the statement may have waited)
left join lateral (
    select engine_end_reason_now(i.run_id) as end_reason where f.id is null and h.run_id is not null
) w on true
