-- Serializes writers of one key (scope, role, kind, locale) until the transaction ends, so the
-- expected-version check, the deactivation and the insert see each other's commits.
-- $1: the key as text
select pg_advisory_xact_lock(hashtextextended($1, 0))
