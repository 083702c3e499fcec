-- Creates a project; a duplicate slug is refused.
insert into projects (slug, name, locale, learning_mode_default, max_active_runs)
values ($1, $2, $3, $4, $5)
returning id, slug, name, locale, learning_mode_default, max_active_runs, created_at
