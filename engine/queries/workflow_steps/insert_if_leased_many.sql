-- Commits step outputs of attempts that still hold their lease; the lease rows are share-locked (in
-- run_id order, as every multi-row write of the claim table) so a concurrent rescue waits for this commit. $1 is a jsonb array of
-- {run_id, epoch, seq, name, status, output, error, attempts, started_at}.
with input as (
    select * from jsonb_to_recordset($1) as x(
        run_id uuid, epoch bigint, seq int, name text, status text, output jsonb, error jsonb,
        attempts int, started_at timestamptz)
), lease as (
    select t.run_id
    from workflow_tasks t
    join input i on t.run_id = i.run_id and t.epoch = i.epoch
    where t.state = 'leased'
    order by t.run_id
    for share of t
)
insert into workflow_steps (run_id, seq, name, status, output, error, attempts, started_at, finished_at)
select i.run_id, i.seq, i.name, i.status, i.output, i.error, i.attempts, i.started_at, now()
from input i
where i.run_id in (select run_id from lease)
on conflict (run_id, seq) do nothing
returning run_id
