-- When a run's agent was first launched (ADR 0028): it read its Issue's thread then, so a
-- discussion run queued behind it for a comment made before that moment has nothing left to
-- answer once it succeeded.
alter table agent_runs add column agent_started_at timestamptz;
