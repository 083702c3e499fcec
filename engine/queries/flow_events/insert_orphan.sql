-- Appends an event that belongs to no run (cron, slot accounting).
insert into flow_events (kind, detail) values ($1, $2)
