-- The active overrides a run may use: its project's and the system's, in the locales of its chain.
-- At most two rows per locale; the caller applies the precedence.
-- $1 project_id (null = the run has no project: system rows only), $2 role, $3 kind, $4 locales
select project_id is not null as is_project, locale, version, body
from prompt_templates
where is_active
  and role = $2
  and kind = $3
  and locale = any($4)
  and (project_id is null or project_id = $1)
