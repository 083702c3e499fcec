-- Appends an event for an attempt that still holds its lease (cleanup events are fenced).
insert into flow_events (run_id, kind, step_seq, attempt, detail)
select $1, $3, $4, $5, $6
where exists (select 1 from workflow_tasks where run_id = $1 and epoch = $2 and state = 'leased')
