-- Whether a discussion run of the Issue is still going.
select exists (
    select 1 from agent_runs
    where repository_id = $1 and issue_number = $2 and kind = 'discussion'
      and status in ('pending', 'running', 'waiting')
)
