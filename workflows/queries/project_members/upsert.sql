-- Sets a member's role in a project (admin tool and fixtures).
insert into project_members (project_id, user_id, role, learning_mode_override)
values ($1, $2, $3, $4)
on conflict (project_id, user_id) do update set role = excluded.role,
    learning_mode_override = excluded.learning_mode_override, updated_at = now()
