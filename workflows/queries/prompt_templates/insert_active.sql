-- Inserts the next version of a key as the active one; the caller has retired the previous one.
-- $1 project_id (null = system), $2 role, $3 kind, $4 locale, $5 body, $6 created_by,
-- $7 change_reason, $8 now (null = now())
insert into prompt_templates (
    project_id, role, kind, locale, body, version, is_active,
    created_by, change_reason, activated_by, activated_at, created_at, updated_at
)
select $1, $2, $3, $4, $5, coalesce(max(version), 0) + 1, true,
       $6, $7, $6, coalesce($8, now()), coalesce($8, now()), coalesce($8, now())
from prompt_templates
where project_id is not distinct from $1
  and role = $2
  and kind = $3
  and locale = $4
returning id, project_id, role, kind, locale, version, body, is_active,
          created_by, change_reason, activated_by, activated_at, created_at, updated_at
