-- One project by slug.
select id, slug, name, locale, learning_mode_default, max_active_runs, created_at
from projects
where slug = $1
