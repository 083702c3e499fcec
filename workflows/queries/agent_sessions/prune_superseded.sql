-- Keeps the latest $2 snapshots of lineage $1: older versions are deleted when a new one is stored.
delete from agent_sessions where lineage = $1 and version <= (select max(version) from agent_sessions where lineage = $1) - $2
