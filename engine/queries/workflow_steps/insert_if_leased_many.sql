-- Commits step outputs of attempts that still hold their lease; the lease rows are share-locked (in
-- run_id order) so a concurrent rescue waits for this commit. $1 is a jsonb array of
-- {run_id, epoch, seq, kind, name, status, output, error, attempts, started_at}. Returns the
-- (run_id, epoch) of every output accepted under its lease.
with input as (
    select * from jsonb_to_recordset($1) as x(
        run_id uuid, epoch bigint, seq int, kind text, name text, status text, output jsonb, error jsonb,
        attempts int, started_at timestamptz)
), lease as (
    select t.run_id, t.epoch
    from workflow_tasks t
    join input i on t.run_id = i.run_id and t.epoch = i.epoch
    where t.state = 'leased'
    order by t.run_id
    for share of t
), accepted as (
    select i.* from input i join lease l on l.run_id = i.run_id and l.epoch = i.epoch
), written as (
    insert into workflow_steps (run_id, seq, kind, name, status, output, error, attempts, started_at, finished_at)
    select run_id, seq, kind, name, status, output, error, attempts, least(started_at, now()), now()
    from accepted
    on conflict (run_id, seq) do nothing
)
select run_id, epoch from accepted
