-- Locks every task a completer flush will touch, in run_id order, before it writes anything: a
-- flush then takes no row lock out of order, so it cannot deadlock with a heartbeat or another flush.
select run_id from workflow_tasks where run_id = any($1) order by run_id for update
