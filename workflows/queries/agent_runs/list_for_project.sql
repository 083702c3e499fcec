-- Runs of a project, newest first, optionally of one Issue ($2) or pull request ($3) (self-improve lookups).
select a.id, r.full_name as repository, a.kind, a.trigger, a.stage, a.role, a.status, a.agent_status,
       a.wait_state, a.issue_number, a.pull_request_number, a.created_at, a.finished_at
from agent_runs a
join repositories r on r.id = a.repository_id
where a.project_id = $1
  and ($2::bigint is null or a.issue_number = $2)
  and ($3::bigint is null or a.pull_request_number = $3)
order by a.created_at desc
limit $4 offset $5
