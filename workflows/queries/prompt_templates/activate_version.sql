-- Makes one existing version of a key active (a rollback or roll-forward); the caller has retired
-- the previous active one. No row: the version does not exist.
-- $1 project_id (null = system), $2 role, $3 kind, $4 locale, $5 version, $6 activated_by,
-- $7 now (null = now())
update prompt_templates
set is_active = true,
    activated_by = $6,
    activated_at = coalesce($7, now()),
    updated_at = coalesce($7, now())
where project_id is not distinct from $1
  and role = $2
  and kind = $3
  and locale = $4
  and version = $5
returning id, project_id, role, kind, locale, version, body, is_active,
          created_by, change_reason, activated_by, activated_at, created_at, updated_at
