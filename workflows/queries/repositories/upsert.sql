-- Binds a repository to a project (admin tool and fixtures).
insert into repositories (id, project_id, full_name, default_branch)
values ($1, $2, lower($3), $4)
on conflict (full_name) do update set project_id = excluded.project_id, default_branch = excluded.default_branch,
    updated_at = now()
returning id
