-- Moves a schedule past the tick it fired, guarded by the tick it expected.
update cron_schedules set next_fire_at = $3, last_fired_at = $2, updated_at = now()
where id = $1 and next_fire_at = $2
