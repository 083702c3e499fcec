-- Active discussion runs of an Issue (a `run:*` label or removing `mode:discussion` ends them).
select id from agent_runs
where repository_id = $1 and issue_number = $2 and kind = 'discussion'
  and status in ('pending', 'running', 'waiting')
