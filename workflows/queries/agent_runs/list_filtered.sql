-- Stage runs newest first for the staff API; every filter optional; keyset cursor (created_at, id).
-- The status is the engine's (a pending run whose task is leased is running); the page walks
-- agent_runs by (created_at, id) or a (project_id|repository_id, created_at, id) index.
select a.id, p.slug as project, r.full_name as repository, a.kind, a.trigger, a.stage, a.role,
       case when w.status = 'pending' and t.state = 'leased' then 'running' else coalesce(w.status, a.status) end as status,
       a.wait_state, a.agent_status, a.issue_number, a.pull_request_number, a.branch, a.created_at, a.finished_at,
       a.failure
from agent_runs a
join projects p on p.id = a.project_id
join repositories r on r.id = a.repository_id
left join workflow_runs w on w.id = a.id
left join workflow_tasks t on t.run_id = a.id
where ($1::uuid[] is null or a.project_id = any($1))
  and ($2::uuid is null or a.project_id = $2)
  and ($3::uuid is null or a.repository_id = $3)
  and ($4::bigint is null or a.issue_number = $4)
  and ($5::bigint is null or a.pull_request_number = $5)
  and ($6::text is null or a.stage = $6 or a.trigger = $6)
  and ($7::text is null
       or ($7 = 'running' and w.status = 'pending' and t.state = 'leased')
       or ($7 = 'pending' and w.status = 'pending' and t.state is distinct from 'leased')
       or ($7 not in ('running', 'pending') and w.status = $7))
  and ($8::text is null or a.wait_state = $8)
  and ($9::timestamptz is null or a.created_at >= $9)
  and ($10::timestamptz is null or a.created_at < $10)
  and ($11::timestamptz is null or (a.created_at, a.id) < ($11, $12::uuid))
order by a.created_at desc, a.id desc
limit $13
