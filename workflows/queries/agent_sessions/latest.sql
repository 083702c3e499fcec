-- The lineage's latest snapshot with its content.
select agent_run_id, lineage, thread_id, version, file_name, sha256, size_bytes, created_at, content
from agent_sessions
where lineage = $1
order by version desc
limit 1
