-- The history of one key, newest version first.
-- $1 project_id (null = system), $2 role, $3 kind, $4 locale
select id, project_id, role, kind, locale, version, body, is_active,
       created_by, change_reason, activated_by, activated_at, created_at, updated_at
from prompt_templates
where project_id is not distinct from $1
  and role = $2
  and kind = $3
  and locale = $4
order by version desc
