-- A codex thread belongs to one role on one thread: the lineage is `<owner/name>#<issue>/<role>`,
-- so a reviewer or a later stage's agent never continues another role's conversation, while a
-- revise (same role) still resumes its own (ADR 0020). Stored snapshots move to their run's role.
update agent_sessions s
set lineage = s.lineage || '/' || a.role
from agent_runs a
where a.id = s.agent_run_id
  and s.lineage not like '%/%';
