-- One project by id.
select id, slug, name, locale, learning_mode_default, max_active_runs, created_at
from projects
where id = $1
