-- Serialises delta computation per codex thread until the transaction ends.
select pg_advisory_xact_lock(hashtextextended('token_usage:' || $1, 0))
