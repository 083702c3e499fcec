-- Deactivates the active version of a key and returns its number (no row: none was active).
-- The caller compares it with the version it expected and rolls back on a mismatch.
-- $1 project_id (null = system), $2 role, $3 kind, $4 locale, $5 now (null = now())
update prompt_templates
set is_active = false, updated_at = coalesce($5, now())
where project_id is not distinct from $1
  and role = $2
  and kind = $3
  and locale = $4
  and is_active
returning version
