-- Disables a schedule that cannot advance, with the reason; it is no longer due.
update cron_schedules set disabled_at = now(), disabled_reason = $2, updated_at = now() where id = $1
