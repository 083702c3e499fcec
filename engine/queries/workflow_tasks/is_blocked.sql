-- Whether the run waits for a slot of its concurrency keys (admitted later, in order).
select exists (select 1 from workflow_tasks where run_id = $1 and state = 'blocked')
