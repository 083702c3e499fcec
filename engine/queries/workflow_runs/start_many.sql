-- Starts many runs without concurrency keys in one statement; $1 is a jsonb array of
-- {id, kind, queue, input, priority, idempotency_key, budget_ms}. Duplicated keys are skipped.
with input as (
    select * from jsonb_to_recordset($1) as x(
        id uuid, kind text, queue text, input jsonb, priority smallint, idempotency_key text, budget_ms bigint)
), run as (
    insert into workflow_runs (id, kind, queue, input, priority, idempotency_key, budget_ms, active_since, deadline_at)
    select id, kind, queue, input, priority, idempotency_key, budget_ms,
           case when budget_ms is not null then now() end,
           case when budget_ms is not null then now() + make_interval(secs => budget_ms / 1000.0) end
    from input
    on conflict (idempotency_key) do nothing
    returning id, queue, priority
), task as (
    insert into workflow_tasks (run_id, queue, priority, state)
    select id, queue, priority, 'ready' from run
    returning queue
)
select count(*)::bigint, (select count(*) from (select pg_notify('codex_k8s_ready', q) from (select distinct queue as q from task) d) n)
from task
