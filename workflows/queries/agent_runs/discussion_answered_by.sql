-- The succeeded discussion run of the same Issue whose agent started after run $1 was created
-- (so it read the comment that created $1), if there is one: $1 has nothing left to answer.
select d.id
from agent_runs q
join agent_runs d
  on d.repository_id = q.repository_id and d.issue_number = q.issue_number
where q.id = $1
  and d.id <> q.id
  and d.kind = 'discussion'
  and d.status = 'succeeded'
  and d.agent_started_at > q.created_at
order by d.agent_started_at
limit 1
