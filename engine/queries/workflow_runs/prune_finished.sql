-- Retention: deletes runs finished before $1 (steps, waits, signals cascade), at most $2 at a time.
with old as (
    select id from workflow_runs where finished_at < $1 order by finished_at limit $2
), gone as (
    delete from workflow_runs r using old where r.id = old.id returning r.id
), events as (
    delete from flow_events e using gone where e.run_id = gone.id
)
select count(*)::bigint from gone
