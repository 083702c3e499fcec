-- Binds a repository to a project; a repository bound elsewhere is refused (unbind it first).
insert into repositories (project_id, full_name, default_branch)
values ($1, lower($2), $3)
returning id, project_id, full_name, default_branch, token_key_id, token_set_at, created_at
