-- Due schedules, locked so exactly one worker fires each tick.
select id, expression, kind, queue, input, next_fire_at
from cron_schedules
where next_fire_at <= now()
order by next_fire_at
limit $1
for update skip locked
