-- Creates or replaces a schedule; the next tick is recomputed from now.
insert into cron_schedules (id, expression, kind, queue, input, next_fire_at)
values ($1, $2, $3, $4, $5, $6)
on conflict (id) do update
set expression = excluded.expression, kind = excluded.kind, queue = excluded.queue, input = excluded.input,
    next_fire_at = excluded.next_fire_at, updated_at = now()
