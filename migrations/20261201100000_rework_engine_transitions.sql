-- The engine's transitions, reworked so that no interleaving can strand a run, leak a slot or deadlock.
--
-- Lock order, everywhere (docs/architecture.md, "Lock order"): a run's task row (workflow_tasks), then
-- its run row (workflow_runs); several runs' task rows in run id order. A run row is locked only by a
-- transaction that holds the run's task row, or when the run has no task (it finished). Run rows are
-- taken `for no key update`, which does not conflict with the key-share locks that inserts into the
-- tables referencing workflow_runs take. After the admission lock (engine_lock_admission) only
-- concurrency_keys rows are waited for; rows of other runs (blocked runs being admitted) are taken
-- with skip locked, never waited for.
--
-- A task row exists for every unfinished run, from start to finish (blocked, ready, scheduled,
-- leased, waiting, parked), so "live work" and "slots held" are read off one table.

-- Runs: which code version started them, and why a run is parked.
alter table workflow_runs add column code_version int not null default 1;
-- set while the run is parked: {code, message, ...} (nondeterministic replay, unknown kind, code ahead)
alter table workflow_runs add column parked jsonb;
alter table workflow_runs drop constraint workflow_runs_status_check;
alter table workflow_runs add constraint workflow_runs_status_check
    check (status in ('pending', 'waiting', 'parked', 'succeeded', 'failed', 'cancelled', 'timed_out'));

-- Tasks: timers out of the ready path, waits and parked runs kept as rows.
drop index workflow_tasks_ready;
alter table workflow_tasks drop constraint workflow_tasks_state_check;
alter table workflow_tasks add constraint workflow_tasks_state_check
    check (state in ('blocked', 'ready', 'scheduled', 'leased', 'waiting', 'parked'));
-- times this run was handed back unrun (its kind unknown here, or its code newer), toward parking it
alter table workflow_tasks add column skips int not null default 0;
comment on column workflow_tasks.concurrency_keys is
    'the keys whose slots this task holds (blocked: the keys it waits for; parked: none)';
-- rows written before this migration: timers become scheduled, runs waiting without a deadline get
-- their (waiting) task back
update workflow_tasks set state = 'scheduled' where state = 'ready' and run_at > now();
insert into workflow_tasks (run_id, queue, priority, state, concurrency_keys)
select r.id, r.queue, r.priority, 'waiting', r.concurrency_keys from workflow_runs r
where r.finished_at is null and not exists (select 1 from workflow_tasks t where t.run_id = r.id);
-- the claim scan over work that is due now: per queue, best priority first, then oldest
create index workflow_tasks_ready on workflow_tasks (queue, priority desc, run_at) where state = 'ready';
-- timers (sleeps, retry backoff, delayed starts, wait deadlines) stay out of the ready index; the
-- claim takes the due ones from here by time, and an idle claimer sleeps until the first one
create index workflow_tasks_scheduled on workflow_tasks (queue, run_at) where state = 'scheduled';
-- the slot accounting check reads the tasks of keyed runs only
create index workflow_tasks_keyed on workflow_tasks (run_id) where concurrency_keys <> '{}';
-- operators list parked runs; workers that learn a kind unpark its runs
create index workflow_tasks_parked on workflow_tasks (run_id) where state = 'parked';

-- Journal entries say what they are, so a replay can check kind and name (and a step named "sleep"
-- is not a sleep).
alter table workflow_steps add column kind text not null default 'step'
    check (kind in ('step', 'sleep', 'wait', 'now', 'uuid'));
update workflow_steps set kind = case
    when name = 'sleep' then 'sleep' when name like 'wait:%' then 'wait'
    when name = 'now' then 'now' when name = 'uuid' then 'uuid' else 'step' end;

-- Flow events without a run (cron, slot accounting) are pruned by age.
create index flow_events_orphan_created on flow_events (created_at) where run_id is null;

-- Cron: the code version its runs start with, catch-up policy, and disabling of schedules that
-- cannot advance.
alter table cron_schedules add column code_version int not null default 1;
alter table cron_schedules add column catch_up text not null default 'fire_once'
    check (catch_up in ('fire_once', 'skip'));
-- under 'skip', a tick later than this is skipped (with an event) instead of fired
alter table cron_schedules add column tolerance_ms bigint not null default 60000 check (tolerance_ms > 0);
-- a schedule that cannot advance is disabled with the reason, and no longer due
alter table cron_schedules add column disabled_at timestamptz;
alter table cron_schedules add column disabled_reason text;
drop index cron_schedules_due;
create index cron_schedules_due on cron_schedules (next_fire_at) where disabled_at is null;

-- One maintenance leader at a time, elected through this table with an expiring lease.
create table engine_leaders (
    id text primary key,
    -- the process identity holding the role
    holder text not null,
    elected_at timestamptz not null default now(),
    -- another process may take the role once this has passed
    expires_at timestamptz not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

drop function engine_start(uuid, text, text, jsonb, smallint, text, text[], int[], bigint, timestamptz);
drop function engine_wait(uuid, bigint, int, text, boolean, timestamptz);
drop function engine_release_slots(text[]);
drop function engine_admit(text[], int[]);
drop function engine_rescue(int, int);
drop function engine_abandon(uuid);
drop function engine_terminate(uuid, text, jsonb);
drop function engine_signal(uuid, text, jsonb, text);

-- The task state for work due at p_at: claimable now, or a timer.
create function engine_due_state(p_at timestamptz) returns text
language sql stable as $$ select case when p_at <= now() then 'ready' else 'scheduled' end $$;

-- Starts a run's budget clock at p_from (no earlier than now) with what is left of its budget.
create function engine_start_clock(p_run uuid, p_from timestamptz) returns void
language sql as $$
    update workflow_runs
    set active_since = greatest(now(), p_from),
        deadline_at = greatest(now(), p_from) + make_interval(secs => (budget_ms - budget_spent_ms) / 1000.0),
        updated_at = now()
    where id = p_run and budget_ms is not null and active_since is null and end_reason is null
$$;

-- Stops a run's budget clock, adding the time it ran.
create function engine_stop_clock(p_run uuid) returns void
language sql as $$
    update workflow_runs
    set budget_spent_ms = budget_spent_ms + engine_ms(active_since, now()),
        active_since = null, deadline_at = null, updated_at = now()
    where id = p_run and active_since is not null
$$;

-- Takes a slot of every key if each has one free (all or nothing); limits update the keys' maxima.
-- Caller holds the admission lock.
create function engine_admit(p_keys text[], p_limits int[]) returns boolean
language plpgsql as $$
begin
    if p_limits is not null then
        insert into concurrency_keys (id, max_active, active)
        select k, l, 0 from unnest(p_keys, p_limits) as u(k, l)
        on conflict (id) do update set max_active = excluded.max_active, updated_at = now()
        where concurrency_keys.max_active <> excluded.max_active;
    end if;
    if exists (select 1 from concurrency_keys where id = any(p_keys) and active >= max_active)
       or (select count(*) from concurrency_keys where id = any(p_keys)) < cardinality(p_keys) then
        return false;
    end if;
    update concurrency_keys set active = active + 1, updated_at = now() where id = any(p_keys);
    return true;
end $$;

-- Admits blocked runs sharing p_keys whose keys all have a free slot, best priority then oldest,
-- until none is left; every candidate is checked, so a run never waits behind runs blocked on
-- other keys. Rows of the candidates are taken with skip locked (a run being cancelled is skipped;
-- the maintenance sweep retries). Caller holds the admission lock.
create function engine_admit_blocked(p_keys text[]) returns int
language plpgsql as $$
declare
    v_task workflow_tasks;
    v_skipped uuid[] := '{}';
    v_admitted int := 0;
begin
    loop
        select t.* into v_task from workflow_tasks t
        where t.state = 'blocked' and t.concurrency_keys && p_keys and t.run_id <> all(v_skipped)
          and not exists (select 1 from concurrency_keys c
                          where c.id = any(t.concurrency_keys) and c.active >= c.max_active)
        order by t.priority desc, t.run_at
        limit 1
        for update of t skip locked;
        exit when not found;
        perform 1 from workflow_runs where id = v_task.run_id for no key update skip locked;
        if not found then
            v_skipped := v_skipped || v_task.run_id;
            continue;
        end if;
        if not engine_admit(v_task.concurrency_keys, null) then
            v_skipped := v_skipped || v_task.run_id;
            continue;
        end if;
        update workflow_tasks
        set state = engine_due_state(run_at), run_at = greatest(run_at, now()), updated_at = now()
        where run_id = v_task.run_id;
        -- the budget clock starts at admission, not while queued behind a key
        perform engine_start_clock(v_task.run_id, v_task.run_at);
        insert into flow_events (run_id, kind, detail)
        values (v_task.run_id, 'admitted', jsonb_build_object('keys', v_task.concurrency_keys));
        if v_task.run_at <= now() then
            perform pg_notify('codex_k8s_ready', v_task.queue);
        end if;
        v_admitted := v_admitted + 1;
    end loop;
    return v_admitted;
end $$;

-- Gives back one slot of each key, exactly: a key with no slot taken is drift, recorded as a flow
-- event (and repaired by the maintenance check), never hidden. Then admits blocked runs.
create function engine_release_slots(p_keys text[]) returns void
language plpgsql as $$
declare
    v_missing text[];
begin
    if cardinality(p_keys) = 0 then
        return;
    end if;
    perform engine_lock_admission();
    with given as (
        update concurrency_keys set active = active - 1, updated_at = now()
        where id = any(p_keys) and active > 0
        returning id
    )
    select array_agg(k) into v_missing from unnest(p_keys) k where k not in (select id from given);
    if v_missing is not null then
        insert into flow_events (kind, detail)
        values ('slot_drift', jsonb_build_object('code', 'release_without_slot', 'keys', v_missing));
    end if;
    perform engine_admit_blocked(p_keys);
end $$;

-- Starts a run (idempotent by key) and enqueues its first task: blocked behind its keys, a timer
-- until run_at, or ready. A repeated key returns the first run, with conflict = true when kind or
-- input differ. The budget clock starts when the run becomes claimable (admitted and due).
create function engine_start(
    p_id uuid, p_kind text, p_code_version int, p_queue text, p_input jsonb, p_priority smallint,
    p_idempotency_key text, p_concurrency_keys text[], p_concurrency_limits int[], p_budget_ms bigint,
    p_run_at timestamptz
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
        active_since, deadline_at
    ) values (
        p_id, p_kind, p_code_version, p_queue, p_input, p_priority, p_idempotency_key, p_concurrency_keys,
        p_budget_ms,
        case when v_admitted and p_budget_ms is not null then v_at end,
        case when v_admitted and p_budget_ms is not null then v_at + make_interval(secs => p_budget_ms / 1000.0) end
    )
    on conflict (idempotency_key) do nothing
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

-- Asks a run to end: closes its waits, stops its clock and hands it to its cleanup, whatever its
-- task is doing. A leased task stays with its worker (told through codex_k8s_cancel); every later
-- suspension or completion of that attempt finds end_reason and runs the cleanup at once.
-- Returns terminating, finished (never admitted: nothing to clean), already_ended, busy (re-opened at
-- this moment: try again) or no_run.
create function engine_terminate(p_run uuid, p_reason text, p_detail jsonb) returns text
language plpgsql as $$
declare
    v_run workflow_runs;
    v_task workflow_tasks;
begin
    select * into v_task from workflow_tasks where run_id = p_run for update;
    select * into v_run from workflow_runs where id = p_run for no key update;
    if not found then
        return 'no_run';
    end if;
    if v_run.finished_at is not null or v_run.end_reason is not null then
        return 'already_ended';
    end if;
    if v_task.run_id is null then
        -- re-opened while we waited for the run row: its new task must not be waited for now
        select * into v_task from workflow_tasks where run_id = p_run for update skip locked;
        if not found then
            return 'busy';
        end if;
    end if;
    update workflow_waits
    set ended_at = now(), outcome = 'cancelled', updated_at = now(),
        paused_ms = case when pausing then engine_ms(started_at, now()) end
    where run_id = p_run and ended_at is null;
    insert into flow_events (run_id, kind, detail) values (p_run, p_reason, coalesce(p_detail, '{}'));
    if v_task.state = 'blocked' then
        delete from workflow_tasks where run_id = p_run;
        update workflow_runs
        set status = p_reason, end_reason = p_reason, error = p_detail, finished_at = now(),
            active_since = null, deadline_at = null, updated_at = now()
        where id = p_run;
        return 'finished';
    end if;
    perform engine_stop_clock(p_run);
    update workflow_runs
    set end_reason = p_reason, error = coalesce(p_detail, error), status = 'pending', parked = null,
        updated_at = now()
    where id = p_run;
    if v_task.state <> 'leased' then
        update workflow_tasks
        set state = 'ready', run_at = now(), failed_seq = null, failed_attempts = 0, updated_at = now()
        where run_id = p_run;
        perform pg_notify('codex_k8s_ready', v_run.queue);
    else
        perform pg_notify('codex_k8s_cancel', p_run::text);
    end if;
    return 'terminating';
end $$;

-- The attempt's own end of its run (the workflow failed, its budget ran out by its timer), fenced by
-- its epoch. p_reason null only reads. Returns the run's end reason to clean up for (an earlier one
-- wins), 'none' when it has none, 'not_due' for a timeout whose deadline has not passed (clock skew),
-- or 'lease_lost'.
create function engine_end_if_leased(p_run uuid, p_epoch bigint, p_reason text, p_detail jsonb)
returns text
language plpgsql as $$
declare
    v_run workflow_runs;
begin
    perform 1 from workflow_tasks where run_id = p_run and epoch = p_epoch and state = 'leased' for update;
    if not found then
        return 'lease_lost';
    end if;
    select * into v_run from workflow_runs where id = p_run for no key update;
    if v_run.end_reason is not null then
        return v_run.end_reason;
    end if;
    if p_reason is null then
        return 'none';
    end if;
    if p_reason = 'timed_out' and (v_run.deadline_at is null or v_run.deadline_at > now()) then
        return 'not_due';
    end if;
    perform engine_stop_clock(p_run);
    update workflow_runs set end_reason = p_reason, error = p_detail, updated_at = now() where id = p_run;
    insert into flow_events (run_id, kind, detail) values (p_run, p_reason, coalesce(p_detail, '{}'));
    return p_reason;
end $$;

-- Hands a leased task back, fenced by epoch, due after p_delay_ms (or at p_run_at), optionally with
-- a journal entry (a sleep) and a flow event in the same transaction. p_mode: 'retry' (step backoff),
-- 'sleep', 'skip' (kind unknown here), 'cleanup_retry' or 'handback' (shutdown).
-- A run that is ending is not suspended (except by a handback, a cleanup retry, or a skip by a worker
-- that cannot run its cleanup either): 'ending' keeps the lease so the attempt runs the cleanup at once. Returns (released|ending|lease_lost, due time).
create function engine_release(
    p_run uuid, p_epoch bigint, p_mode text, p_delay_ms bigint, p_run_at timestamptz,
    p_failed_seq int, p_failed_attempts int, p_step jsonb, p_event jsonb
) returns table (outcome text, run_at timestamptz)
language plpgsql as $$
declare
    v_run workflow_runs;
    v_at timestamptz := coalesce(p_run_at, now() + make_interval(secs => coalesce(p_delay_ms, 0) / 1000.0));
begin
    perform 1 from workflow_tasks t where t.run_id = p_run and t.epoch = p_epoch and t.state = 'leased'
    for update;
    if not found then
        return query select 'lease_lost'::text, null::timestamptz;
        return;
    end if;
    select * into v_run from workflow_runs where id = p_run for no key update;
    if v_run.end_reason is not null and p_mode not in ('handback', 'cleanup_retry', 'skip') then
        return query select 'ending'::text, null::timestamptz;
        return;
    end if;
    if p_mode = 'handback' then
        v_at := now();
    end if;
    if p_step is not null then
        insert into workflow_steps (run_id, seq, kind, name, status, output, attempts, started_at, finished_at)
        values (p_run, (p_step ->> 'seq')::int, p_step ->> 'kind', p_step ->> 'name', 'succeeded',
                jsonb_build_object('wake_at', v_at), 1, now(), now())
        on conflict on constraint workflow_steps_pkey do nothing;
    end if;
    if p_event is not null then
        insert into flow_events (run_id, kind, step_seq, attempt, detail)
        values (p_run, p_event ->> 'kind', (p_event ->> 'step_seq')::int, (p_event ->> 'attempt')::int,
                coalesce(p_event -> 'detail', '{}') || jsonb_build_object('run_at', v_at));
    end if;
    update workflow_tasks t
    set state = engine_due_state(v_at), run_at = v_at, epoch = null, worker = null, lease_expires_at = null,
        failed_seq = case when p_mode in ('retry', 'cleanup_retry') then p_failed_seq else t.failed_seq end,
        failed_attempts = case when p_mode in ('retry', 'cleanup_retry') then p_failed_attempts
                               else t.failed_attempts end,
        skips = case when p_mode = 'skip' then t.skips + 1 else t.skips end,
        updated_at = now()
    where t.run_id = p_run;
    if v_at <= now() then
        perform pg_notify('codex_k8s_ready', v_run.queue);
    end if;
    return query select 'released'::text, v_at;
end $$;

-- A workflow's wait for a signal at step seq, under the caller's lease; the deadline (now + timeout)
-- is fixed when the wait first begins, by the database clock. A stored wait at this position must be
-- for the same signal with the same pausing flag, or the replay is nondeterministic ('mismatch', with
-- what was found). Returns (signalled|deadline|waiting|ending|mismatch|lease_lost, payload).
create function engine_wait(
    p_run uuid, p_epoch bigint, p_seq int, p_signal text, p_pausing boolean, p_timeout_ms bigint
) returns table (outcome text, payload jsonb)
language plpgsql as $$
declare
    v_run workflow_runs;
    v_signal workflow_signals;
    v_wait workflow_waits;
    v_deadline timestamptz;
begin
    perform 1 from workflow_tasks where run_id = p_run and epoch = p_epoch and state = 'leased' for update;
    if not found then
        return query select 'lease_lost'::text, null::jsonb;
        return;
    end if;
    select * into v_run from workflow_runs where id = p_run for no key update;
    if v_run.end_reason is not null then
        return query select 'ending'::text, null::jsonb;
        return;
    end if;
    select * into v_wait from workflow_waits where run_id = p_run and seq = p_seq;
    if v_wait.id is not null and (v_wait.signal <> p_signal or v_wait.pausing <> p_pausing) then
        return query select 'mismatch'::text,
            jsonb_build_object('signal', v_wait.signal, 'pausing', v_wait.pausing);
        return;
    end if;
    v_deadline := case when v_wait.id is not null then v_wait.deadline_at
                       when p_timeout_ms is not null then now() + make_interval(secs => p_timeout_ms / 1000.0) end;
    select * into v_signal from workflow_signals
    where run_id = p_run and name = p_signal and consumed_at is null
    order by id
    limit 1
    for update;
    if v_signal.id is not null or (v_deadline is not null and v_deadline <= now()) then
        if v_signal.id is not null then
            update workflow_signals set consumed_seq = p_seq, consumed_at = now(), updated_at = now()
            where id = v_signal.id;
        end if;
        insert into workflow_steps (run_id, seq, kind, name, status, output, attempts, started_at, finished_at)
        values (p_run, p_seq, 'wait', 'wait:' || p_signal, 'succeeded',
                case when v_signal.id is not null
                     then jsonb_build_object('signal', v_signal.payload, 'pausing', p_pausing)
                     else jsonb_build_object('deadline', true, 'pausing', p_pausing) end,
                1, coalesce(v_wait.started_at, now()), now());
        if v_wait.id is not null and v_wait.ended_at is null then
            update workflow_waits
            set ended_at = now(), updated_at = now(),
                outcome = case when v_signal.id is not null then 'signalled' else 'deadline' end,
                paused_ms = case when pausing then engine_ms(started_at, now()) end
            where id = v_wait.id;
        end if;
        if v_wait.id is not null and v_wait.pausing and v_run.budget_ms is not null and v_run.active_since is null then
            perform engine_start_clock(p_run, now());
            insert into flow_events (run_id, kind, step_seq, detail)
            values (p_run, 'timer_resumed', p_seq,
                    jsonb_build_object('remaining_ms', v_run.budget_ms - v_run.budget_spent_ms));
        end if;
        update workflow_runs set status = 'pending', updated_at = now() where id = p_run and status = 'waiting';
        return query select case when v_signal.id is not null then 'signalled' else 'deadline' end, v_signal.payload;
        return;
    end if;
    if v_wait.id is null then
        insert into workflow_waits (run_id, seq, signal, pausing, deadline_at)
        values (p_run, p_seq, p_signal, p_pausing, v_deadline);
        insert into flow_events (run_id, kind, step_seq, detail)
        values (p_run, 'waiting', p_seq,
                jsonb_build_object('signal', p_signal, 'pausing', p_pausing, 'deadline_at', v_deadline));
        if p_pausing and v_run.budget_ms is not null and v_run.active_since is not null then
            perform engine_stop_clock(p_run);
            insert into flow_events (run_id, kind, step_seq, detail)
            values (p_run, 'timer_paused', p_seq,
                    jsonb_build_object('spent_ms', v_run.budget_spent_ms + engine_ms(v_run.active_since, now()),
                                       'budget_ms', v_run.budget_ms));
        end if;
    end if;
    update workflow_runs set status = 'waiting', updated_at = now() where id = p_run;
    update workflow_tasks
    set state = case when v_deadline is null then 'waiting' else 'scheduled' end,
        run_at = coalesce(v_deadline, now()), epoch = null, worker = null, lease_expires_at = null,
        updated_at = now()
    where run_id = p_run;
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
    perform 1 from workflow_tasks where run_id = p_run for update;
    select * into v_run from workflow_runs where id = p_run for no key update;
    if not found then
        return 'no_run';
    end if;
    if v_run.finished_at is not null or v_run.end_reason is not null then
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
    if v_run.status = 'parked' then
        return 'stored';
    end if;
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
        perform engine_start_clock(p_run, now());
        insert into flow_events (run_id, kind, step_seq, detail)
        values (p_run, 'timer_resumed', v_wait.seq,
                jsonb_build_object('remaining_ms', v_run.budget_ms - v_run.budget_spent_ms));
    end if;
    update workflow_runs set status = 'pending', updated_at = now() where id = p_run and status = 'waiting';
    update workflow_tasks set state = 'ready', run_at = now(), updated_at = now()
    where run_id = p_run and state in ('waiting', 'scheduled', 'ready');
    perform pg_notify('codex_k8s_ready', v_run.queue);
    return 'woke';
end $$;

-- Parks a run under the attempt's lease: not claimable until an operator retries or cancels it (or a
-- worker that knows its kind or code version unparks it); its slots are given back and its budget
-- clock stops. Returns parked or lease_lost.
create function engine_park(p_run uuid, p_epoch bigint, p_detail jsonb) returns text
language plpgsql as $$
declare
    v_task workflow_tasks;
begin
    select * into v_task from workflow_tasks where run_id = p_run and epoch = p_epoch and state = 'leased'
    for update;
    if not found then
        return 'lease_lost';
    end if;
    perform 1 from workflow_runs where id = p_run for no key update;
    perform engine_stop_clock(p_run);
    update workflow_runs set status = 'parked', parked = p_detail, updated_at = now() where id = p_run;
    update workflow_tasks
    set state = 'parked', epoch = null, worker = null, lease_expires_at = null, concurrency_keys = '{}',
        updated_at = now()
    where run_id = p_run;
    insert into flow_events (run_id, kind, detail) values (p_run, 'parked', p_detail);
    perform engine_release_slots(v_task.concurrency_keys);
    return 'parked';
end $$;

-- Takes a run out of parking: admitted again (or blocked behind its keys), ready, its clock running.
-- Returns unparked, blocked, not_parked or no_run.
create function engine_unpark(p_run uuid, p_reason text) returns text
language plpgsql as $$
declare
    v_run workflow_runs;
    v_admitted boolean := true;
begin
    perform 1 from workflow_tasks where run_id = p_run and state = 'parked' for update;
    if not found then
        return case when exists (select 1 from workflow_runs where id = p_run) then 'not_parked' else 'no_run' end;
    end if;
    select * into v_run from workflow_runs where id = p_run for no key update;
    if v_run.status <> 'parked' then
        return 'not_parked';
    end if;
    if cardinality(v_run.concurrency_keys) > 0 then
        perform engine_lock_admission();
        v_admitted := engine_admit(v_run.concurrency_keys, null);
    end if;
    update workflow_runs set status = 'pending', parked = null, updated_at = now() where id = p_run;
    update workflow_tasks
    set state = case when v_admitted then 'ready' else 'blocked' end, run_at = now(), skips = 0,
        concurrency_keys = v_run.concurrency_keys, rescues = 0, updated_at = now()
    where run_id = p_run;
    insert into flow_events (run_id, kind, detail)
    values (p_run, 'unparked', jsonb_build_object('reason', p_reason, 'was', v_run.parked));
    if v_admitted then
        perform engine_start_clock(p_run, now());
        perform pg_notify('codex_k8s_ready', v_run.queue);
        return 'unparked';
    end if;
    return 'blocked';
end $$;

-- Ends a run whose cleanup cannot complete (it keeps crashing its worker): no cleanup, slots back.
create function engine_abandon(p_run uuid) returns void
language plpgsql as $$
declare
    v_task workflow_tasks;
begin
    select * into v_task from workflow_tasks where run_id = p_run for update;
    perform 1 from workflow_runs where id = p_run for no key update;
    delete from workflow_tasks where run_id = p_run;
    perform engine_stop_clock(p_run);
    update workflow_runs
    set status = coalesce(end_reason, 'failed'), end_reason = coalesce(end_reason, 'failed'),
        finished_at = now(), updated_at = now()
    where id = p_run;
    insert into flow_events (run_id, kind, detail) values (p_run, 'cleanup_abandoned', '{}');
    if v_task.state is distinct from 'blocked' then
        perform engine_release_slots(coalesce(v_task.concurrency_keys, '{}'));
    end if;
end $$;

-- Returns expired leases to ready, audits each rescue, and stops runs that keep crashing their worker:
-- after p_max_rescues rescues without step progress the run is terminated as failed (its cleanup runs);
-- if the cleanup keeps crashing too, the run is abandoned. Task and run rows are taken with skip
-- locked: a run busy elsewhere is rescued by the next sweep.
create function engine_rescue(p_max_rescues int, p_limit int)
returns table (run_id uuid, queue text, rescues int, outcome text)
language plpgsql as $$
declare
    v_id uuid;
    v_task workflow_tasks;
    v_progress int;
    v_rescues int;
    v_end text;
begin
    for v_id in
        select t.run_id from workflow_tasks t
        where t.state = 'leased' and t.lease_expires_at < now()
        order by t.lease_expires_at
        limit p_limit
    loop
        select * into v_task from workflow_tasks t
        where t.run_id = v_id and t.state = 'leased' and t.lease_expires_at < now()
        for update skip locked;
        if not found then
            continue;
        end if;
        select r.end_reason into v_end from workflow_runs r where r.id = v_id for no key update skip locked;
        if not found then
            continue;
        end if;
        select count(*) into v_progress from workflow_steps s where s.run_id = v_id;
        v_rescues := case when v_progress = v_task.rescue_progress then v_task.rescues + 1 else 1 end;
        update workflow_tasks t
        set state = 'ready', epoch = null, worker = null, lease_expires_at = null, run_at = now(),
            rescues = v_rescues, rescue_progress = v_progress, updated_at = now()
        where t.run_id = v_id;
        insert into flow_events (run_id, kind, detail)
        values (v_id, 'lease_rescued',
                jsonb_build_object('worker', v_task.worker, 'epoch', v_task.epoch, 'rescues', v_rescues));
        run_id := v_id;
        queue := v_task.queue;
        rescues := v_rescues;
        outcome := 'rescued';
        if v_end is null and v_rescues > p_max_rescues then
            perform engine_terminate(v_id, 'failed', jsonb_build_object(
                'code', 'crash_loop',
                'message', format('the step crashed its worker %s times without progress', v_rescues)));
            outcome := 'crash_loop';
        elsif v_end is not null and v_rescues > p_max_rescues + 2 then
            perform engine_abandon(v_id);
            outcome := 'abandoned';
        end if;
        perform pg_notify('codex_k8s_ready', v_task.queue);
        return next;
    end loop;
end $$;

-- Compares every key's active count with the tasks holding its slots and repairs drift, under the
-- admission lock (so no admission or release is half-seen); then admits blocked runs whose keys have
-- free slots (candidates skipped by a busy release). Returns the keys repaired.
create function engine_check_slots() returns table (key text, recorded int, actual int)
language plpgsql as $$
begin
    perform engine_lock_admission();
    return query
    with held as (
        select k, count(*)::int as n
        from workflow_tasks t, unnest(t.concurrency_keys) as k
        where t.concurrency_keys <> '{}' and t.state <> 'blocked'
        group by k
    ), drift as (
        select c.id, c.active, coalesce(h.n, 0) as n
        from concurrency_keys c left join held h on h.k = c.id
        where c.active <> coalesce(h.n, 0)
        for update of c
    ), fixed as (
        update concurrency_keys c set active = d.n, updated_at = now()
        from drift d where c.id = d.id
        returning c.id, d.active, d.n
    ), audit as (
        insert into flow_events (kind, detail)
        select 'slot_drift', jsonb_build_object('code', 'repaired', 'key', f.id, 'recorded', f.active, 'actual', f.n)
        from fixed f
    )
    select f.id, f.active, f.n from fixed f;
    perform engine_admit_blocked(array(
        select c.id from concurrency_keys c
        where c.active < c.max_active
          and exists (select 1 from workflow_tasks t where t.state = 'blocked' and c.id = any(t.concurrency_keys))));
end $$;

-- Re-opens a failed run from its last failed step: that journal entry and every later one (with
-- their waits, and the signals they consumed) are removed, the run is admitted again behind its keys
-- and replays; the rest of its journal is kept. Returns reopened, blocked, not_retryable or no_run.
create function engine_reopen(p_run uuid) returns text
language plpgsql as $$
declare
    v_run workflow_runs;
    v_seq int;
    v_admitted boolean := true;
begin
    select * into v_run from workflow_runs where id = p_run for no key update;
    if not found then
        return 'no_run';
    end if;
    if v_run.status <> 'failed' or v_run.finished_at is null then
        return 'not_retryable';
    end if;
    select max(seq) into v_seq from workflow_steps where run_id = p_run and status = 'failed';
    if v_seq is not null then
        delete from workflow_steps where run_id = p_run and seq >= v_seq;
        delete from workflow_waits where run_id = p_run and seq >= v_seq;
        update workflow_signals set consumed_seq = null, consumed_at = null, updated_at = now()
        where run_id = p_run and consumed_seq >= v_seq;
    end if;
    if cardinality(v_run.concurrency_keys) > 0 then
        perform engine_lock_admission();
        v_admitted := engine_admit(v_run.concurrency_keys, null);
    end if;
    update workflow_runs
    set status = 'pending', end_reason = null, error = null, output = null, finished_at = null, updated_at = now()
    where id = p_run;
    insert into workflow_tasks (run_id, queue, priority, state, concurrency_keys)
    values (p_run, v_run.queue, v_run.priority, case when v_admitted then 'ready' else 'blocked' end,
            v_run.concurrency_keys);
    insert into flow_events (run_id, kind, step_seq, detail)
    values (p_run, 'reopened', v_seq, jsonb_build_object('error', v_run.error));
    if v_admitted then
        perform engine_start_clock(p_run, now());
        perform pg_notify('codex_k8s_ready', v_run.queue);
        return 'reopened';
    end if;
    return 'blocked';
end $$;
