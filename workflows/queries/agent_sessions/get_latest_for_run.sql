-- The newest session snapshot a run uploaded (self_improve_session_get).
select thread_id, lineage, version, file_name, sha256, size_bytes, content, created_at
from agent_sessions
where agent_run_id = $1
order by version desc
limit 1
