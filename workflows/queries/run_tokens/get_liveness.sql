-- The latest launch attempt of a run, when it was issued and its agent's last heartbeat (over
-- every token of that attempt), with the database's clock to compare them with.
select attempt, min(created_at) as issued_at, max(last_heartbeat_at) as last_heartbeat_at,
       coalesce($2, now()) as now
from run_tokens
where agent_run_id = $1
group by attempt
order by attempt desc
limit 1
