-- Run starts and ends write one index entry fewer (ADR 0024): the idempotency key's unique index
-- holds only the runs that have a key. A unique index treats nulls as distinct, so the runs it
-- leaves out never conflicted anyway; the new index is built before the old constraint goes, so
-- uniqueness holds throughout. engine_start names the index's predicate in its conflict target.
create unique index workflow_runs_idempotency_key on workflow_runs (idempotency_key)
    where idempotency_key is not null;
alter table workflow_runs drop constraint workflow_runs_idempotency_key_key;

create or replace function engine_start(
    p_id uuid, p_kind text, p_code_version int, p_queue text, p_input jsonb, p_priority smallint,
    p_idempotency_key text, p_concurrency_keys text[], p_concurrency_limits int[], p_budget_ms bigint,
    p_run_at timestamptz, p_trace_parent text
) returns table (run_id uuid, created boolean, conflict boolean)
language plpgsql as $$
declare
    v_id uuid;
    v_admitted boolean := true;
    v_at timestamptz := greatest(coalesce(p_run_at, now()), now());
begin
    if p_idempotency_key is not null then
        return query select r.id, false, (r.kind <> p_kind or r.input <> p_input)
            from workflow_runs r where r.idempotency_key = p_idempotency_key;
        if found then
            return;
        end if;
    end if;
    if cardinality(p_concurrency_keys) > 0 then
        perform engine_lock_admission();
        v_admitted := engine_admit(p_concurrency_keys, p_concurrency_limits);
    end if;
    insert into workflow_runs (
        id, kind, code_version, queue, input, priority, idempotency_key, concurrency_keys, budget_ms,
        active_since, deadline_at, trace_parent
    ) values (
        p_id, p_kind, p_code_version, p_queue, p_input, p_priority, p_idempotency_key, p_concurrency_keys,
        p_budget_ms,
        case when v_admitted and p_budget_ms is not null then v_at end,
        case when v_admitted and p_budget_ms is not null then v_at + make_interval(secs => p_budget_ms / 1000.0) end,
        p_trace_parent
    )
    on conflict (idempotency_key) where idempotency_key is not null do nothing
    returning id into v_id;
    if v_id is null then
        -- lost a race with a concurrent start of the same key: give the slots back, return the winner
        if v_admitted and cardinality(p_concurrency_keys) > 0 then
            perform engine_release_slots(p_concurrency_keys);
        end if;
        return query select r.id, false, (r.kind <> p_kind or r.input <> p_input)
            from workflow_runs r where r.idempotency_key = p_idempotency_key;
        return;
    end if;
    insert into workflow_tasks (run_id, queue, priority, run_at, state, concurrency_keys)
    values (v_id, p_queue, p_priority, v_at,
            case when not v_admitted then 'blocked' else engine_due_state(v_at) end, p_concurrency_keys);
    if v_admitted and v_at <= now() then
        perform pg_notify('codex_k8s_ready', p_queue);
    end if;
    return query select v_id, true, false;
end $$;
