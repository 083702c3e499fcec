-- One stage run in the staff API's summary shape (same columns as list_filtered).
select a.id, a.project_id, p.slug as project, r.full_name as repository, a.kind, a.trigger, a.stage, a.role,
       case when w.status = 'pending' and t.state = 'leased' then 'running' else coalesce(w.status, a.status) end as status,
       a.wait_state, a.agent_status, a.issue_number, a.pull_request_number, a.branch, a.created_at, a.finished_at,
       a.failure
from agent_runs a
join projects p on p.id = a.project_id
join repositories r on r.id = a.repository_id
left join workflow_runs w on w.id = a.id
left join workflow_tasks t on t.run_id = a.id
where a.id = $1
