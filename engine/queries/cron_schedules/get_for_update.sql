-- One schedule, locked, with the database clock: what an upsert keeps.
select expression, next_fire_at, last_fired_at, now() as db_now
from cron_schedules
where id = $1
for update
