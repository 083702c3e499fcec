-- The earliest future run_at of ready tasks in queue $1, so an idle claimer can sleep until then.
select min(run_at) from workflow_tasks where queue = $1 and state = 'ready'
