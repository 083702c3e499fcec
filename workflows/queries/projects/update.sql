-- Changes a project's settings; null keeps a value, $6/$7 = true clear locale / learning-mode default.
update projects
set name = coalesce($2, name),
    locale = case when $6 then null else coalesce($3, locale) end,
    learning_mode_default = case when $7 then null else coalesce($4, learning_mode_default) end,
    max_active_runs = coalesce($5, max_active_runs),
    updated_at = now()
where id = $1
returning id, slug, name, locale, learning_mode_default, max_active_runs, created_at
