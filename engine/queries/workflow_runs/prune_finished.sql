-- Retention: deletes runs finished before $1 (steps, waits, signals cascade), at most $2 at a time.
-- A run finishes after it was created, so the oldest runs are read through workflow_runs_created;
-- finish time has no index of its own, which keeps a successful finish a HOT update (ADR 0030).
-- Only runs still unfinished past the retention are read and passed over again by each batch.
with old as (
    select id from workflow_runs
    where created_at < $1 and finished_at < $1
    order by created_at, id
    limit $2
), gone as (
    delete from workflow_runs r using old where r.id = old.id returning r.id
), events as (
    delete from flow_events e using gone where e.run_id = gone.id
)
select count(*)::bigint from gone
