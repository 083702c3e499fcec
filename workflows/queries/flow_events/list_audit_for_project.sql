-- A project's audit log newest first: the flow events of its stage runs, and the administrative
-- events about the project that belong to no run (`member_removed`, `repository_unbound`, its
-- prompt template writes: run_id null, detail.project_id set), with the optional run, kind and time
-- filters of list_audit; keyset cursor on id. A run filter leaves only that run's events.
-- Each branch is ordered and limited on its own index (the project's runs through
-- agent_runs_project_created and flow_events_run; the project's administrative events through
-- flow_events_project_admin), then merged.
-- $1 project_id, $2 run_id, $3 kind, $4 created_after, $5 created_before, $6 before_id, $7 limit
select id, run_id, kind, step_seq, attempt, detail, created_at
from (
    (select f.id, f.run_id, f.kind, f.step_seq, f.attempt, f.detail, f.created_at
     from flow_events f
     where f.run_id in (select a.id from agent_runs a where a.project_id = $1)
       and ($2::uuid is null or f.run_id = $2)
       and ($3::text is null or f.kind = $3)
       and ($4::timestamptz is null or f.created_at >= $4)
       and ($5::timestamptz is null or f.created_at < $5)
       and ($6::bigint is null or f.id < $6)
     order by f.id desc
     limit $7)
    union all
    (select f.id, f.run_id, f.kind, f.step_seq, f.attempt, f.detail, f.created_at
     from flow_events f
     where f.run_id is null
       and f.detail ->> 'project_id' = $1::text
       and $2::uuid is null
       and ($3::text is null or f.kind = $3)
       and ($4::timestamptz is null or f.created_at >= $4)
       and ($5::timestamptz is null or f.created_at < $5)
       and ($6::bigint is null or f.id < $6)
     order by f.id desc
     limit $7)
) events
order by id desc
limit $7
