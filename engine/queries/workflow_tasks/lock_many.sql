-- Locks every task a completer flush will touch, in run_id order, after the run rows of the runs it
-- finishes (lock order: runs, then tasks), before it writes anything.
select run_id from workflow_tasks where run_id = any($1) order by run_id for update
