-- Engine transitions that touch several tables and must be atomic and race-free.
-- Each takes the run row lock first (for update), so a wait, a signal, a termination and a rescue of
-- the same run are serialized; attempt writes are fenced by (run_id, epoch, state = 'leased').

-- Milliseconds between two instants, for budget arithmetic.
create function engine_ms(p_from timestamptz, p_to timestamptz) returns bigint
language sql immutable as $$ select greatest(0, (extract(epoch from (p_to - p_from)) * 1000)::bigint) $$;

-- Admission of keyed runs is rare (agent stage runs), so one transaction-scoped advisory lock
-- serializes every admission and release; no key-order deadlocks are possible.
create function engine_lock_admission() returns void
language sql as $$ select pg_advisory_xact_lock(7312051) $$;

-- Takes a slot of every key if each has one free (all or nothing).
create function engine_admit(p_keys text[], p_limits int[]) returns boolean
language plpgsql as $$
begin
    perform engine_lock_admission();
    insert into concurrency_keys (id, max_active, active)
    select k, l, 0 from unnest(p_keys, p_limits) as u(k, l)
    on conflict (id) do update set max_active = excluded.max_active, updated_at = now();
    if exists (select 1 from concurrency_keys where id = any(p_keys) and active >= max_active) then
        return false;
    end if;
    update concurrency_keys set active = active + 1, updated_at = now() where id = any(p_keys);
    return true;
end $$;

-- Gives back one slot of each key, then admits blocked runs (best priority, oldest first) whose
-- keys now all have a free slot.
create function engine_release_slots(p_keys text[]) returns void
language plpgsql as $$
declare
    v_next workflow_tasks;
begin
    perform engine_lock_admission();
    update concurrency_keys set active = greatest(active - 1, 0), updated_at = now() where id = any(p_keys);
    for v_next in
        select * from workflow_tasks
        where state = 'blocked' and concurrency_keys && p_keys
        order by priority desc, run_at
        limit 100
    loop
        if exists (select 1 from concurrency_keys where id = any(v_next.concurrency_keys) and active >= max_active) then
            continue;
        end if;
        update concurrency_keys set active = active + 1, updated_at = now() where id = any(v_next.concurrency_keys);
        update workflow_tasks set state = 'ready', updated_at = now() where run_id = v_next.run_id;
        -- the budget clock starts at admission, not while queued behind a key
        update workflow_runs
        set active_since = now(),
            deadline_at = now() + make_interval(secs => (budget_ms - budget_spent_ms) / 1000.0),
            updated_at = now()
        where id = v_next.run_id and budget_ms is not null;
        perform pg_notify('codex_k8s_ready', v_next.queue);
    end loop;
end $$;

-- Starts a run (idempotent by key) and enqueues its first task, ready or blocked behind its key.
create function engine_start(
    p_id uuid, p_kind text, p_queue text, p_input jsonb, p_priority smallint, p_idempotency_key text,
    p_concurrency_keys text[], p_concurrency_limits int[], p_budget_ms bigint, p_run_at timestamptz
) returns table (run_id uuid, created boolean)
language plpgsql as $$
declare
    v_id uuid;
    v_admitted boolean := true;
begin
    if p_idempotency_key is not null then
        select r.id into v_id from workflow_runs r where r.idempotency_key = p_idempotency_key;
        if v_id is not null then
            return query select v_id, false;
            return;
        end if;
    end if;
    if cardinality(p_concurrency_keys) > 0 then
        v_admitted := engine_admit(p_concurrency_keys, p_concurrency_limits);
    end if;
    insert into workflow_runs (
        id, kind, queue, input, priority, idempotency_key, concurrency_keys, budget_ms, active_since, deadline_at
    ) values (
        p_id, p_kind, p_queue, p_input, p_priority, p_idempotency_key, p_concurrency_keys, p_budget_ms,
        case when v_admitted and p_budget_ms is not null then now() end,
        case when v_admitted and p_budget_ms is not null then now() + make_interval(secs => p_budget_ms / 1000.0) end
    )
    on conflict (idempotency_key) do nothing
    returning id into v_id;
    if v_id is null then
        -- lost a race with a concurrent start of the same key: give the slots back, return the winner
        if v_admitted and cardinality(p_concurrency_keys) > 0 then
            perform engine_release_slots(p_concurrency_keys);
        end if;
        return query select r.id, false from workflow_runs r where r.idempotency_key = p_idempotency_key;
        return;
    end if;
    insert into workflow_tasks (run_id, queue, priority, run_at, state, concurrency_keys)
    values (v_id, p_queue, p_priority, coalesce(p_run_at, now()),
            case when v_admitted then 'ready' else 'blocked' end, p_concurrency_keys);
    if v_admitted then
        perform pg_notify('codex_k8s_ready', p_queue);
    end if;
    return query select v_id, true;
end $$;

-- Asks a run to end: closes its waits, stops its clock, and hands it to its cleanup.
-- A leased task stays with its worker (told through codex_k8s_cancel) so the cleanup runs under that lease.
-- Returns terminating, finished (never admitted: nothing to clean), already_ended or no_run.
create function engine_terminate(p_run uuid, p_reason text, p_detail jsonb) returns text
language plpgsql as $$
declare
    v_run workflow_runs;
    v_task workflow_tasks;
begin
    select * into v_run from workflow_runs where id = p_run for update;
    if not found then
        return 'no_run';
    end if;
    if v_run.status in ('succeeded', 'failed', 'cancelled', 'timed_out') or v_run.end_reason is not null then
        return 'already_ended';
    end if;
    select * into v_task from workflow_tasks where run_id = p_run for update;
    update workflow_waits
    set ended_at = now(), outcome = 'cancelled', updated_at = now(),
        paused_ms = case when pausing then engine_ms(started_at, now()) end
    where run_id = p_run and ended_at is null;
    insert into flow_events (run_id, kind, detail) values (p_run, p_reason, coalesce(p_detail, '{}'));
    if v_task.state = 'blocked' then
        delete from workflow_tasks where run_id = p_run;
        update workflow_runs
        set status = p_reason, end_reason = p_reason, error = p_detail, finished_at = now(), updated_at = now()
        where id = p_run;
        return 'finished';
    end if;
    update workflow_runs
    set end_reason = p_reason,
        error = coalesce(p_detail, error),
        status = 'pending',
        budget_spent_ms = budget_spent_ms + case when active_since is null then 0 else engine_ms(active_since, now()) end,
        active_since = null,
        deadline_at = null,
        updated_at = now()
    where id = p_run;
    if v_task.run_id is null then
        insert into workflow_tasks (run_id, queue, priority, state, concurrency_keys)
        values (p_run, v_run.queue, v_run.priority, 'ready', v_run.concurrency_keys);
    elsif v_task.state = 'ready' then
        update workflow_tasks set run_at = now(), failed_seq = null, failed_attempts = 0, updated_at = now()
        where run_id = p_run;
    end if;
    perform pg_notify('codex_k8s_cancel', p_run::text);
    perform pg_notify('codex_k8s_ready', v_run.queue);
    return 'terminating';
end $$;

-- A workflow's wait for a signal at step seq, under the caller's lease.
-- Returns signalled (with the payload, consumed exactly once), deadline, waiting (claim released) or lease_lost.
create function engine_wait(
    p_run uuid, p_epoch bigint, p_seq int, p_signal text, p_pausing boolean, p_deadline timestamptz
) returns table (outcome text, payload jsonb)
language plpgsql as $$
declare
    v_run workflow_runs;
    v_signal workflow_signals;
    v_wait workflow_waits;
begin
    select * into v_run from workflow_runs where id = p_run for update;
    perform 1 from workflow_tasks where run_id = p_run and epoch = p_epoch and state = 'leased' for update;
    if not found then
        return query select 'lease_lost'::text, null::jsonb;
        return;
    end if;
    select * into v_wait from workflow_waits where run_id = p_run and seq = p_seq;
    if v_wait.id is not null then
        -- the deadline was fixed when the wait began; a replay must not move it
        p_deadline := v_wait.deadline_at;
    end if;
    select * into v_signal from workflow_signals
    where run_id = p_run and name = p_signal and consumed_at is null
    order by id
    limit 1
    for update;
    if v_signal.id is not null or (p_deadline is not null and p_deadline <= now()) then
        if v_signal.id is not null then
            update workflow_signals set consumed_seq = p_seq, consumed_at = now(), updated_at = now()
            where id = v_signal.id;
        end if;
        insert into workflow_steps (run_id, seq, name, status, output, attempts, started_at, finished_at)
        values (p_run, p_seq, 'wait:' || p_signal, 'succeeded',
                case when v_signal.id is not null then jsonb_build_object('signal', v_signal.payload)
                     else jsonb_build_object('deadline', true) end,
                1, coalesce(v_wait.started_at, now()), now());
        if v_wait.id is not null and v_wait.ended_at is null then
            update workflow_waits
            set ended_at = now(), updated_at = now(),
                outcome = case when v_signal.id is not null then 'signalled' else 'deadline' end,
                paused_ms = case when pausing then engine_ms(started_at, now()) end
            where id = v_wait.id;
            if v_wait.pausing and v_run.budget_ms is not null and v_run.active_since is null
               and v_run.end_reason is null then
                update workflow_runs
                set active_since = now(),
                    deadline_at = now() + make_interval(secs => (budget_ms - budget_spent_ms) / 1000.0)
                where id = p_run;
                insert into flow_events (run_id, kind, step_seq, detail)
                values (p_run, 'timer_resumed', p_seq,
                        jsonb_build_object('remaining_ms', v_run.budget_ms - v_run.budget_spent_ms));
            end if;
        end if;
        update workflow_runs set status = 'pending', updated_at = now() where id = p_run and status = 'waiting';
        return query select case when v_signal.id is not null then 'signalled' else 'deadline' end, v_signal.payload;
        return;
    end if;
    if v_wait.id is null then
        insert into workflow_waits (run_id, seq, signal, pausing, deadline_at)
        values (p_run, p_seq, p_signal, p_pausing, p_deadline);
        insert into flow_events (run_id, kind, step_seq, detail)
        values (p_run, 'waiting', p_seq,
                jsonb_build_object('signal', p_signal, 'pausing', p_pausing, 'deadline_at', p_deadline));
        if p_pausing and v_run.budget_ms is not null and v_run.active_since is not null then
            update workflow_runs
            set budget_spent_ms = budget_spent_ms + engine_ms(active_since, now()),
                active_since = null,
                deadline_at = null
            where id = p_run;
            insert into flow_events (run_id, kind, step_seq, detail)
            values (p_run, 'timer_paused', p_seq,
                    jsonb_build_object('spent_ms', v_run.budget_spent_ms + engine_ms(v_run.active_since, now()),
                                       'budget_ms', v_run.budget_ms));
        end if;
    end if;
    update workflow_runs set status = 'waiting', updated_at = now() where id = p_run;
    if p_deadline is not null then
        update workflow_tasks
        set state = 'ready', run_at = p_deadline, epoch = null, worker = null, lease_expires_at = null,
            updated_at = now()
        where run_id = p_run;
    else
        delete from workflow_tasks where run_id = p_run;
    end if;
    return query select 'waiting'::text, null::jsonb;
end $$;

-- Sends a signal to a run: kept until a wait consumes it; wakes the run if it waits for this name.
-- Returns woke, stored, duplicate, run_finished or no_run.
create function engine_signal(p_run uuid, p_name text, p_payload jsonb, p_idempotency_key text) returns text
language plpgsql as $$
declare
    v_run workflow_runs;
    v_wait workflow_waits;
    v_id bigint;
begin
    select * into v_run from workflow_runs where id = p_run for update;
    if not found then
        return 'no_run';
    end if;
    if v_run.status in ('succeeded', 'failed', 'cancelled', 'timed_out') or v_run.end_reason is not null then
        return 'run_finished';
    end if;
    insert into workflow_signals (run_id, name, payload, idempotency_key)
    values (p_run, p_name, p_payload, p_idempotency_key)
    on conflict (run_id, idempotency_key) do nothing
    returning id into v_id;
    if v_id is null then
        return 'duplicate';
    end if;
    insert into flow_events (run_id, kind, detail)
    values (p_run, 'signal_received', jsonb_build_object('signal', p_name, 'signal_id', v_id));
    select * into v_wait from workflow_waits
    where run_id = p_run and signal = p_name and ended_at is null
    order by seq
    limit 1;
    if v_wait.id is null then
        return 'stored';
    end if;
    update workflow_waits
    set ended_at = now(), outcome = 'signalled', updated_at = now(),
        paused_ms = case when pausing then engine_ms(started_at, now()) end
    where id = v_wait.id;
    if v_wait.pausing and v_run.budget_ms is not null and v_run.active_since is null then
        update workflow_runs
        set active_since = now(),
            deadline_at = now() + make_interval(secs => (budget_ms - budget_spent_ms) / 1000.0)
        where id = p_run;
        insert into flow_events (run_id, kind, step_seq, detail)
        values (p_run, 'timer_resumed', v_wait.seq,
                jsonb_build_object('remaining_ms', v_run.budget_ms - v_run.budget_spent_ms));
    end if;
    update workflow_runs set status = 'pending', updated_at = now() where id = p_run and status = 'waiting';
    insert into workflow_tasks (run_id, queue, priority, state, concurrency_keys)
    values (p_run, v_run.queue, v_run.priority, 'ready', v_run.concurrency_keys)
    on conflict (run_id) do update set run_at = now(), updated_at = now() where workflow_tasks.state = 'ready';
    perform pg_notify('codex_k8s_ready', v_run.queue);
    return 'woke';
end $$;

-- Ends a run whose cleanup cannot complete (it keeps crashing its worker): no cleanup, slot released.
create function engine_abandon(p_run uuid) returns void
language plpgsql as $$
declare
    v_run workflow_runs;
begin
    select * into v_run from workflow_runs where id = p_run for update;
    delete from workflow_tasks where run_id = p_run;
    update workflow_runs
    set status = coalesce(end_reason, 'failed'), finished_at = now(), updated_at = now(), deadline_at = null,
        active_since = null
    where id = p_run;
    insert into flow_events (run_id, kind, detail) values (p_run, 'cleanup_abandoned', '{}');
    if cardinality(v_run.concurrency_keys) > 0 then
        perform engine_release_slots(v_run.concurrency_keys);
    end if;
end $$;

-- Returns expired leases to ready, audits each rescue, and stops runs that keep crashing their worker:
-- after p_max_rescues rescues without step progress the run is terminated as failed (its cleanup runs);
-- if the cleanup keeps crashing too, the run is abandoned.
create function engine_rescue(p_max_rescues int, p_limit int)
returns table (run_id uuid, queue text, rescues int, outcome text)
language plpgsql as $$
declare
    v_task workflow_tasks;
    v_progress int;
    v_rescues int;
    v_end text;
begin
    for v_task in
        select * from workflow_tasks t
        where t.state = 'leased' and t.lease_expires_at < now()
        order by t.lease_expires_at
        limit p_limit
        for update skip locked
    loop
        select count(*) into v_progress from workflow_steps s where s.run_id = v_task.run_id;
        v_rescues := case when v_progress = v_task.rescue_progress then v_task.rescues + 1 else 1 end;
        update workflow_tasks t
        set state = 'ready', epoch = null, worker = null, lease_expires_at = null, run_at = now(),
            rescues = v_rescues, rescue_progress = v_progress, updated_at = now()
        where t.run_id = v_task.run_id;
        insert into flow_events (run_id, kind, detail)
        values (v_task.run_id, 'lease_rescued',
                jsonb_build_object('worker', v_task.worker, 'epoch', v_task.epoch, 'rescues', v_rescues));
        select r.end_reason into v_end from workflow_runs r where r.id = v_task.run_id;
        run_id := v_task.run_id;
        queue := v_task.queue;
        rescues := v_rescues;
        outcome := 'rescued';
        if v_end is null and v_rescues > p_max_rescues then
            perform engine_terminate(v_task.run_id, 'failed', jsonb_build_object(
                'code', 'crash_loop',
                'message', format('the step crashed its worker %s times without progress', v_rescues)));
            outcome := 'crash_loop';
        elsif v_end is not null and v_rescues > p_max_rescues + 2 then
            perform engine_abandon(v_task.run_id);
            outcome := 'abandoned';
        end if;
        perform pg_notify('codex_k8s_ready', v_task.queue);
        return next;
    end loop;
end $$;
