-- Runs parked now (every queue), for the `parked_runs` gauge; served by the partial index
-- `workflow_tasks_parked`.
select count(*)::bigint from workflow_tasks where state = 'parked'
