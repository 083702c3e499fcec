-- Creates or updates a project by slug (admin tool and fixtures).
insert into projects (id, slug, name, locale, learning_mode_default, max_active_runs)
values ($1, $2, $3, $4, $5, $6)
on conflict (slug) do update set name = excluded.name, locale = excluded.locale,
    learning_mode_default = excluded.learning_mode_default, max_active_runs = excluded.max_active_runs, updated_at = now()
returning id
