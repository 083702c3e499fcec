-- Enabled schedules whose tick is due, locked so exactly one worker fires each tick; with the
-- database clock, read in the same statement.
select id, expression, kind, code_version, queue, input, next_fire_at, catch_up, tolerance_ms, now() as db_now
from cron_schedules
where next_fire_at <= now() and disabled_at is null
order by next_fire_at
limit $1
for update skip locked
