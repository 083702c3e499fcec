-- Active runs of an Issue or pull request (cleanup on close).
select id from agent_runs
where repository_id = $1 and (issue_number = $2 or pull_request_number = $2)
  and status in ('pending', 'running', 'waiting')
