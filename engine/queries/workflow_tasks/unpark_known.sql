-- Unparks runs parked because no worker knew their kind (or their code was newer) once this worker
-- knows the kind at that version: $1 kinds, $2 their versions. At most $3 runs.
select r.id, engine_unpark(r.id, 'kind_known')
from workflow_tasks t
join workflow_runs r on r.id = t.run_id
join unnest($1::text[], $2::int[]) as k(kind, version) on k.kind = r.kind
where t.state = 'parked'
  and r.parked ->> 'code' in ('unknown_kind', 'code_version_ahead')
  and r.code_version <= k.version
limit $3
