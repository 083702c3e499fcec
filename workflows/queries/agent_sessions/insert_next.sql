-- The lineage's next snapshot version, only if the lineage is still at version $4 (0: no snapshot
-- yet). No row comes back when it has moved on (a stale upload); a concurrent insert of the same
-- version fails on unique (lineage, version), which the caller treats as stale too.
insert into agent_sessions (agent_run_id, lineage, thread_id, version, file_name, sha256, size_bytes, content)
select $1, $2, $3, $4 + 1, $5, $6, $7, $8
where coalesce((select max(version) from agent_sessions where lineage = $2), 0) = $4
returning version, created_at
