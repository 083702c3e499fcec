-- Starts many runs without concurrency keys or budgets in one statement; $1 is a jsonb array of
-- {id, kind, code_version, queue, input, priority}. Returns how many were created.
with input as (
    select * from jsonb_to_recordset($1) as x(
        id uuid, kind text, code_version int, queue text, input jsonb, priority smallint)
), run as (
    insert into workflow_runs (id, kind, code_version, queue, input, priority)
    select id, kind, code_version, queue, input, priority from input
    returning id, queue, priority
), task as (
    insert into workflow_tasks (run_id, queue, priority, state)
    select id, queue, priority, 'ready' from run
    returning queue
)
select count(*)::bigint, (select count(*) from (select pg_notify('codex_k8s_ready', q) from (select distinct queue as q from task) d) n)
from task
