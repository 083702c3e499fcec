-- Creates or replaces a schedule with the tick the caller computed ($7): the caller keeps the stored
-- tick when the expression is unchanged, so a restart never skips a due tick.
insert into cron_schedules (id, expression, kind, code_version, queue, input, next_fire_at, catch_up, tolerance_ms)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
on conflict (id) do update
set expression = excluded.expression, kind = excluded.kind, code_version = excluded.code_version, queue = excluded.queue, input = excluded.input,
    next_fire_at = excluded.next_fire_at, catch_up = excluded.catch_up, tolerance_ms = excluded.tolerance_ms,
    disabled_at = case when cron_schedules.expression = excluded.expression then cron_schedules.disabled_at end,
    disabled_reason = case when cron_schedules.expression = excluded.expression then cron_schedules.disabled_reason end,
    updated_at = now()
