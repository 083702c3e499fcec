-- Mirrors the run's status; returns the status it had before, its kind and stage and how long it
-- ran, so the caller counts a run once when it reaches a terminal status (not again when a retried
-- step or cleanup writes the same status).
with before as (
    select id, status from agent_runs where id = $1 for update
)
update agent_runs a
set status = $2, updated_at = now(),
    finished_at = case when $2 in ('succeeded', 'failed', 'cancelled', 'timed_out') then now() else a.finished_at end
from before
where a.id = before.id
returning before.status as previous, a.kind, a.stage,
          extract(epoch from now() - a.created_at)::float8 as seconds
