-- A run's uploaded codex rollout snapshots (metadata only), in version order.
select version, thread_id, file_name, size_bytes, sha256, created_at
from agent_sessions
where agent_run_id = $1
order by version
