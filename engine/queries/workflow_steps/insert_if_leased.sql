-- Commits one step (the sleep record) for an attempt that still holds its lease.
insert into workflow_steps (run_id, seq, name, status, output, attempts, started_at, finished_at)
select $1, $3, $4, 'succeeded', $5, 1, now(), now()
where exists (
    select 1 from workflow_tasks where run_id = $1 and epoch = $2 and state = 'leased' for share
)
on conflict (run_id, seq) do nothing
