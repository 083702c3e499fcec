-- Locks every task a completer flush will touch, in run_id order, before it writes anything (lock
-- order: task rows first; run rows are only locked under their task row).
select run_id from workflow_tasks where run_id = any($1) order by run_id for update
